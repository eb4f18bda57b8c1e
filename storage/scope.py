"""What part of the participants an organiser may see: a region and/or an event, or everything."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Scope"]


@dataclass(frozen=True)
class Scope:
    """An organiser's scope: participants of one region and/or one event (None = no limit on that)."""

    region: str | None = None
    event_code: str | None = None

    @classmethod
    def everything(cls) -> Scope:
        """The scope of a global organiser: every participant."""
        return cls()
