"""Training entry point and stages; run as ``python -m backend.train <run_dir>`` (under accelerate)."""
