"""Numbers as people read them: 1.240 in Dutch, 1,240 in English."""

from __future__ import annotations

__all__ = ["count"]


def count(value: int, language: str = "nl") -> str:
    """A whole number with the language's thousands separator (nl: 1.240, en: 1,240)."""
    text = f"{value:,}"
    return text if language == "en" else text.replace(",", ".")
