""":class:`TokenizerError`, the one error of the tokenizer tools (train, extend, merge, compare).

Its own module so that ``backend.tokenizer.build``, which :mod:`backend.tokenizer.train` calls on, can raise it
without importing ``backend.tokenizer.train`` back (an import cycle). :mod:`backend.tokenizer.train` re-exports it,
which stays the place to import it from.
"""

from __future__ import annotations


class TokenizerError(ValueError):
    """Bad input for training, extending or comparing tokenizers; the message says what to change."""
