"""The studio's backend: JobSpec, run registry, launch, training, data. It never imports ``studio``."""

__version__ = "0.1.0"
