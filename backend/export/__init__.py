"""Export a run as a Hugging Face folder or a GGUF file: source, weights, streaming merge, card."""
