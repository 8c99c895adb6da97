"""Models: references (local folder, builtin, hub id), downloads from a hub, the local list, templates by family."""
