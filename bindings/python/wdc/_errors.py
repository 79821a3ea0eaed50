"""The exceptions of wdc: one class per status of the library (the C ABI's status values)."""

from __future__ import annotations

import enum
from typing import Dict, Type

__all__ = [
    "Status",
    "WdcError",
    "InvalidArgument",
    "IoError",
    "FormatError",
    "ConfigError",
    "Unsupported",
    "Cancelled",
    "OutOfMemory",
    "Busy",
    "Misuse",
    "InternalError",
    "RuntimeFailure",
    "error_class",
]


class Status(enum.IntEnum):
    """Status codes of the wdc library; equal to the C ABI's ``WDC_*`` status values."""

    INVALID_ARGUMENT = 1
    IO = 2
    FORMAT = 3
    CONFIG = 4
    UNSUPPORTED = 5
    CANCELLED = 6
    OUT_OF_MEMORY = 7
    BUSY = 8
    MISUSE = 9
    INTERNAL = 10
    RUNTIME = 11


class WdcError(Exception):
    """Base class of every error raised by wdc.

    ``str(error)`` and ``error.message`` hold the library's message; ``error.status`` is the
    :class:`Status` of the failure (the same number the C ABI returns).
    """

    status: Status = Status.INTERNAL

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):  # picklable although subclasses mix in OSError / ValueError
        return (type(self), (self.message,))


class InvalidArgument(WdcError, ValueError):
    """A bad argument: wrong shape, dtype or range, unknown label, bad op geometry."""

    status = Status.INVALID_ARGUMENT


class IoError(WdcError, OSError):
    """A file could not be opened, read, written or renamed."""

    status = Status.IO


class FormatError(WdcError):
    """A file was read but is not a valid npz data set or model file."""

    status = Status.FORMAT


class ConfigError(WdcError):
    """A network config or training option is invalid (the message names the key)."""

    status = Status.CONFIG


class Unsupported(WdcError):
    """The request is valid but not supported here (e.g. ``device="cuda"`` without a GPU)."""

    status = Status.UNSUPPORTED


class Cancelled(WdcError):
    """Training was stopped by the progress callback returning True."""

    status = Status.CANCELLED


class OutOfMemory(WdcError, MemoryError):
    """The library ran out of memory."""

    status = Status.OUT_OF_MEMORY


class Busy(WdcError):
    """The model is being trained or saved by another thread (calls never wait)."""

    status = Status.BUSY


class Misuse(WdcError):
    """The library was used in a way its contract forbids."""

    status = Status.MISUSE


class InternalError(WdcError):
    """A bug or an unexpected failure inside the library."""

    status = Status.INTERNAL


class RuntimeFailure(WdcError, RuntimeError):
    """The device or LibTorch failed on valid work (a CUDA fault, a lost device, any LibTorch
    error that is not about an argument or memory)."""

    status = Status.RUNTIME


_BY_STATUS: Dict[int, Type[WdcError]] = {
    cls.status.value: cls
    for cls in (
        InvalidArgument,
        IoError,
        FormatError,
        ConfigError,
        Unsupported,
        Cancelled,
        OutOfMemory,
        Busy,
        Misuse,
        InternalError,
        RuntimeFailure,
    )
}


def error_class(status: int) -> Type[WdcError]:
    """The exception class of a status code (InternalError for an unknown code)."""
    return _BY_STATUS.get(int(status), InternalError)
