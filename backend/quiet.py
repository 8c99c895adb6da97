"""Library messages that tell a studio user nothing, kept out of run and export logs, each matched narrowly.

Only these, by category and exact message (or logger and message), so a real warning or error still shows:

- transformers' FutureWarnings that ``gradient_checkpointing`` / ``is_gradient_checkpointing`` /
  ``gradient_checkpointing_kwargs`` are renamed in v6 (raised inside TRL and PEFT as much as by the studio's
  own arguments; the setting works either way);
- bitsandbytes' warning, on CPUs with AVX512-BF16, that its optional ``kernels`` package is not installed
  (``No module named 'kernels'``): bitsandbytes falls back to its own CPU kernel; any other failure to
  load that kernel still shows;
- torch's UserWarning that ``pin_memory`` has no effect on a machine without an accelerator.
"""

from __future__ import annotations

import logging
import warnings

RENAMED = r"`(is_)?gradient_checkpointing(_kwargs)?` is deprecated and will be removed in v6"
PIN_MEMORY = r"'pin_memory' argument is set as true but no accelerator is found"
BNB_LOGGER = "bitsandbytes.backends.cpu.ops"
BNB_KERNELS = "Failed to load CPU gemm_4bit_forward from kernels-community"


def _not_missing_kernels(record: logging.LogRecord) -> bool:
    """False (drop) only for bitsandbytes' "kernels is not installed" warning."""
    text = record.getMessage()
    return not (text.startswith(BNB_KERNELS) and "No module named 'kernels'" in text)


def quiet_library_noise() -> None:
    """Install the filters in this process (idempotent); call it before the libraries are imported."""
    warnings.filterwarnings("ignore", message=RENAMED, category=FutureWarning)
    warnings.filterwarnings("ignore", message=PIN_MEMORY, category=UserWarning)
    logger = logging.getLogger(BNB_LOGGER)
    if _not_missing_kernels not in logger.filters:
        logger.addFilter(_not_missing_kernels)
