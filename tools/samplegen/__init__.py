"""The pieces of tools/gen_samples.py: shared helpers and pools, pretraining text, SFT tasks and conversations."""
