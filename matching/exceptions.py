"""Domain exceptions of the matching engine.

Hierarchy::

    MatchingError                 base class for everything raised on purpose by ``matching``
    ├── ProfileFileError          a profiles CSV cannot be read; ``.line`` names the 1-based line
    └── UnknownParticipantError   ``Matcher.suggest_for`` was asked about an id it does not know
"""

from __future__ import annotations


class MatchingError(Exception):
    """Base class of all errors the matching engine raises on purpose."""


class ProfileFileError(MatchingError):
    """A profiles file is malformed; ``line`` is the 1-based line number (0 when unknown)."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line
        self.reason = message


class UnknownParticipantError(MatchingError, KeyError):
    """The participant id is not part of the profiles the matcher was built from."""

    def __init__(self, participant_id: str) -> None:
        super().__init__(participant_id)
        self.participant_id = participant_id

    def __str__(self) -> str:
        return f"unknown participant id: {self.participant_id!r}"
