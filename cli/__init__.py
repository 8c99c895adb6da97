"""The ``studio`` command (``python -m cli``): front ends beside the backend, like ``studio/``."""
