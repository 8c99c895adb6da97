"""Data: readers, format detection and normalisation, chat templates with loss masks, packing.

Everything here is torch-free except the collator in ``packing`` (which imports torch lazily), so the
UI can validate and preview data without loading a training stack.
"""

from backend.data.formats import DataError, detect_format, to_messages, to_text

__all__ = ["DataError", "detect_format", "to_messages", "to_text"]
