"""The ``video2eeg`` command line: a thin layer over the library packages."""

__version__ = "0.1.0.dev0"
