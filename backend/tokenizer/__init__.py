"""Tokenizers: train one on a corpus, extend or merge one, compare two."""
