"""The studio UI (Gradio): ``studio.app`` composes the tabs, one module per tab under ``studio.tabs``.

The UI process stays light: it never imports torch or transformers; training, merging and chat run in
subprocesses (see DESIGN.md). It talks to runs only through ``backend.run`` (registry, queue, submit) and
the run directory.
"""

import os

# Set before any studio module imports gradio: gradio reads it at import time, and the studio must
# make no outside connections (telemetry) on machines that are often offline or air-gapped.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
