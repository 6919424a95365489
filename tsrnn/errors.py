"""The project's exceptions.

Every error a user can cause (bad file, bad column, bad option, corrupt model file) is raised as
one of these with a message that names the file, column, row or option and says what to do.
The CLI prints the message on one line to stderr and exits with status 2.
"""

from __future__ import annotations


class TsrnnError(Exception):
    """Base class of every error tsrnn raises on purpose."""


class DataError(TsrnnError, ValueError):
    """The input data is unusable as given (missing file, column, bad values, gaps...)."""


class ConfigError(TsrnnError, ValueError):
    """An option or argument is invalid (unknown model name, bad level, bad threshold...)."""


class ModelFileError(TsrnnError):
    """A saved model file is missing, corrupt, foreign or of an unsupported format version."""


class NotFittedError(TsrnnError, AttributeError):
    """An estimator was used before `fit`."""


class TrainingError(TsrnnError, RuntimeError):
    """Training diverged (NaN/Inf loss) or could not proceed."""


class OutputError(TsrnnError, OSError):
    """An output could not be written: full, over-quota or read-only disk, permission denied."""
