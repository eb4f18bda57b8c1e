"""What organisers see when they moderate: a participant's card and its buttons (pure, no database)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import tzinfo

from bot.callbacks import pack
from bot.fields import by_name
from bot.keyboards import Button, Keyboard, grid
from bot.texts import catalogue, region_name, t

__all__ = [
    "CORRECTABLE",
    "ParticipantCard",
    "choice_keyboard",
    "erase_keyboard",
    "fix_keyboard",
    "participant_keyboard",
    "participant_text",
    "results_keyboard",
]


#: The fields an organiser may correct, in button order.
CORRECTABLE = ("name", "organisation", "role", "region", "reach")


@dataclass(frozen=True)
class ParticipantCard:
    """What an organiser sees of a participant (resolved; the view renders it)."""

    participant_id: int
    name: str
    organisation: str
    role: str
    region: str
    reach: str
    status: str
    username: str | None
    offers: tuple[str, ...]
    needs: tuple[str, ...]
    themes: tuple[str, ...]
    created_at: dt.datetime
    last_seen_at: dt.datetime | None


def _label(language: str, table: str, code: str) -> str:
    if table == "profile.region":  # region names live in one place (regions.toml)
        return region_name(language, code) if code else "—"
    return catalogue(language).get(f"{table}.{code}", code) if code else "—"


def participant_text(language: str, card: ParticipantCard, *, tz: tzinfo) -> str:
    """The participant as an organiser sees them: profile, status, dates (all values escaped)."""
    field = catalogue(language)

    def line(label_key: str, value: str) -> str:
        return t(language, "moderation.line", label=field.get(label_key, label_key), value=value or "—")

    def day(moment: dt.datetime | None) -> str:
        return moment.astimezone(tz).strftime("%d-%m-%Y") if moment is not None else "—"

    parts = [
        t(language, "moderation.card_title", name=card.name or "?", number=card.participant_id),
        line("profile.field.organisation", card.organisation),
        line("profile.field.role", _label(language, "profile.role", card.role)),
        line("profile.field.region", _label(language, "profile.region", card.region)),
        line("profile.field.reach", _label(language, "profile.reach", card.reach)),
        line("moderation.status", _label(language, "export.participant_status", card.status)),
        line("moderation.telegram", f"@{card.username}" if card.username else ""),
        line("profile.field.offers", "; ".join(card.offers)),
        line("profile.field.needs", "; ".join(card.needs)),
        line("profile.field.themes", "; ".join(card.themes)),
        t(language, "moderation.dates", joined=day(card.created_at), seen=day(card.last_seen_at)),
    ]
    return "\n".join(parts)


def participant_keyboard(language: str, card: ParticipantCard) -> Keyboard:
    """Pause (or let take part again), correct a field, erase."""
    pid = card.participant_id
    if card.status == "paused":
        pause = Button(t(language, "moderation.resume_button"), pack("pp", "resume", pid))
    else:
        pause = Button(t(language, "moderation.pause_button"), pack("pp", "pause", pid))
    return [
        [pause, Button(t(language, "moderation.fix_button"), pack("pp", "fix", pid))],
        [Button(t(language, "moderation.erase_button"), pack("pp", "del", pid))],
    ]


def results_keyboard(cards: list[ParticipantCard]) -> Keyboard:
    """One button per participant found: name (organisation)."""
    return [
        [Button(f"{c.name or '?'} ({c.organisation or '—'})"[:60], pack("pp", "show", c.participant_id))]
        for c in cards
    ]


def fix_keyboard(language: str, participant_id: int) -> Keyboard:
    """Which field to correct, and back."""
    labels = catalogue(language)
    buttons = [
        Button(labels.get(f"profile.field.{name}", name), pack("pp", "f", participant_id, name))
        for name in CORRECTABLE
    ]
    return [*grid(buttons, 2), [Button(t(language, "moderation.back"), pack("pp", "show", participant_id))]]


def choice_keyboard(language: str, participant_id: int, field: str) -> Keyboard:
    """The codes of a choice field (role, region, reach), and back."""
    question = by_name(field)
    codes = question.codes if question is not None else ()
    buttons = [
        Button(_label(language, f"profile.{field}", code), pack("pp", "set", participant_id, field, code))
        for code in codes
    ]
    return [*grid(buttons, 2), [Button(t(language, "moderation.back"), pack("pp", "fix", participant_id))]]


def erase_keyboard(language: str, participant_id: int) -> Keyboard:
    """Erase for good, or not."""
    return [
        [Button(t(language, "moderation.erase_yes"), pack("pp", "delok", participant_id))],
        [Button(t(language, "moderation.erase_no"), pack("pp", "show", participant_id))],
    ]
