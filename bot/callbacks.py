"""Callback data: short prefixed strings (`prefix:arg:arg`), built and parsed in one place.

Callback data comes back from the client and can be forged, so parsing is strict and every handler still
checks on the server that the person pressing may do what the data says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Callback", "CallbackError", "pack", "pattern", "unpack"]

MAX_BYTES = 64
MAX_ID = 2**31 - 1  # the largest row id a database integer column holds (PostgreSQL refuses more)
_PART = re.compile(r"^[A-Za-z0-9_\-.]*$")


class CallbackError(ValueError):
    """Callback data that Koppelbot did not make (forged, truncated, or from an old version)."""


@dataclass(frozen=True)
class Callback:
    """Parsed callback data: the prefix names the handler, `args` are its arguments."""

    prefix: str
    args: tuple[str, ...]

    def int_arg(self, index: int) -> int:
        """Argument `index` as a row id (0 to MAX_ID), or CallbackError."""
        try:
            value = int(self.args[index])
        except (IndexError, ValueError) as exc:
            raise CallbackError(f"bad argument {index} for {self.prefix!r}") from exc
        if not 0 <= value <= MAX_ID:
            raise CallbackError(f"argument {index} for {self.prefix!r} is out of range")
        return value


def pack(prefix: str, *args: object) -> str:
    """Build callback data; refuses anything over Telegram's 64 bytes or with a separator inside a part."""
    parts = [prefix, *(str(arg) for arg in args)]
    for part in parts:
        if not _PART.match(part):
            raise ValueError(f"callback part {part!r} has characters outside A-Z a-z 0-9 _ - .")
    data = ":".join(parts)
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data {data!r} is longer than {MAX_BYTES} bytes")
    return data


def unpack(data: str | None, *, prefix: str | None = None) -> Callback:
    """Parse callback data, optionally requiring a prefix; raises CallbackError for anything else."""
    if not data or len(data.encode()) > MAX_BYTES:
        raise CallbackError("empty or oversized callback data")
    head, *args = data.split(":")
    if not head or not all(_PART.match(part) for part in (head, *args)):
        raise CallbackError("malformed callback data")
    if prefix is not None and head != prefix:
        raise CallbackError(f"expected prefix {prefix!r}")
    return Callback(prefix=head, args=tuple(args))


def pattern(prefix: str) -> str:
    """The CallbackQueryHandler pattern that matches one prefix."""
    return rf"^{re.escape(prefix)}(:|$)"
