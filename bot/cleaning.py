"""Text from outside (chat messages, imported files) is cleaned before it is stored.

NUL and the other control characters are dropped (PostgreSQL cannot store NUL at all, and the rest hide in
names and break displays); a tab becomes a space and every line break becomes a plain new line, which stays
wherever a new line separates things (items in one message, lines of a file, a broadcast). Lone surrogate
code points (which a client can send as JSON escapes) are dropped too: no database can store them as UTF-8.
"""

from __future__ import annotations

import re

__all__ = ["strip_controls"]

# C0 controls except tab and new line (handled below), DEL, C1 controls, and lone surrogates.
_UNWANTED = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def strip_controls(text: str) -> str:
    """`text` without control characters and lone surrogates; tabs as spaces, line breaks as `\\n`."""
    return _UNWANTED.sub("", text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " "))
