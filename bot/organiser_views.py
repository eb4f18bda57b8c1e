"""What organisers see: pure functions from resolved data to texts and `Button` rows, in their language.

Used by the organiser handlers for direct replies, by the organiser jobs (broadcast progress) and by the
services that queue organiser messages (the weekly summary), so a keyboard looks the same either way.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Sequence
from typing import Any

from bot.callbacks import pack
from bot.commands import organiser_lines
from bot.keyboards import Button, Keyboard, grid
from bot.numbers import count
from bot.texts import Counted, Markup, catalogue, region_name, t
from matching import REGIONS, ROLES
from storage.broadcasts import BroadcastLine

__all__ = [
    "broadcast_history_text",
    "bad_scope_text",
    "choice_keyboard",
    "code_choices",
    "describe_segment",
    "event_label",
    "event_line",
    "flag_notice",
    "flagged_text",
    "organiser_line",
    "outbox_line",
    "person_label",
    "inactive_choices",
    "preview_text",
    "sent_copy_text",
    "with_sender",
    "region_label",
    "role_label",
    "scope_label",
    "organiser_welcome",
    "outbox_keyboard",
    "preview_keyboard",
    "progress_keyboard",
    "segment_keyboard",
    "stats_keyboard",
    "unmet_keyboard",
    "week_label",
]

_TAG = re.compile(r"<[^>]+>")
UNMET_BUTTONS = 10  # one broadcast button per reported need, at most this many (the report numbers them)


def region_label(language: str, code: str) -> str:
    """A region code's name for people ("arnhem-nijmegen" → "Arnhem-Nijmegen")."""
    return region_name(language, code)


def bad_scope_text(language: str, words: Sequence[str]) -> str:
    """An unknown region or event in /organisers add, with the region codes to type (matching.REGIONS)."""
    return t(language, "organiser.bad_scope", words=" ".join(words), regions=", ".join(REGIONS))


def role_label(language: str, code: str) -> str:
    """A role code's name for people ("company" → "bedrijf")."""
    return catalogue(language).get(f"organiser.role.{code}", code)


def code_choices(language: str, dimension: str) -> list[tuple[str, str]]:
    """(code, label) of every region or role, for the segment buttons."""
    if dimension == "region":
        return [(code, region_label(language, code)) for code in REGIONS]
    return [(code, role_label(language, code)) for code in ROLES]


def week_label(language: str, week: str) -> str:
    """An ISO week key as people say it ("2026-W49" → "week 49")."""
    return t(language, "organiser.week", number=int(week.rpartition("W")[2]))


def event_label(language: str, name: str, participants: int) -> str:
    """An event button: its name and how many joined through it."""
    return f"{name} ({count(participants, language)})"


def event_line(language: str, *, code: str, name: str, held_on: dt.date | None, participants: int) -> str:
    """One line of /event: name, date, code and how many joined through it."""
    date = held_on.strftime("%d-%m-%Y") if held_on is not None else "—"
    return t(language, "event.list_line", name=name, date=date, code=code, count=participants)


# -- introductions flagged for the coordinator ("plans changed") -------------------------------------------
def flag_notice(language: str, *, introduction_id: int, who: str, other: str, region: str | None) -> str:
    """The notice an organiser gets at once when a side says their plans changed."""
    return t(
        language,
        "organiser.flag_notice",
        id=introduction_id,
        who=who,
        other=other,
        region=region_label(language, region or "outside"),
    )


def flagged_text(language: str, total: int, lines: list[tuple[int, str, str]]) -> str:
    """The flagged introductions that had no contact since, for /stats: (id, side a, side b) per line."""
    shown = [t(language, "organiser.flagged_title", count=count(total, language))]
    shown += [t(language, "organiser.flagged_line", id=i, a=a or "—", b=b or "—") for i, a, b in lines]
    if total > len(lines):
        shown.append("…")
    return "\n".join(shown)


# -- /organisers ----------------------------------------------------------------------------------------
def person_label(name: str | None, username: str | None, telegram_id: int) -> str:
    """How an organiser is named: "Ria Jansen (@ria)", "@ria", "Ria Jansen" or the bare id."""
    if name and username:
        return f"{name} (@{username})"
    return name or (f"@{username}" if username else str(telegram_id))


def scope_label(language: str, region: str | None, event_code: str | None) -> str:
    """An organiser's scope in words: "alles", "regio Achterhoek", "event ede-2022" or both."""
    parts = []
    if region is not None:
        parts.append(t(language, "organiser.scope_region", region=region_label(language, region)))
    if event_code is not None:
        parts.append(t(language, "organiser.scope_event", event=event_code))
    return Markup(" · ".join(parts) if parts else t(language, "organiser.scope_all"))


def organiser_line(
    language: str,
    *,
    telegram_id: int,
    name: str | None,
    username: str | None,
    region: str | None,
    event_code: str | None,
    configured: bool,
) -> str:
    """One line of /organisers: who, their id, and what they see."""
    who = person_label(name, username, telegram_id)
    if name or username:
        who += f" ({telegram_id})"
    key = "organiser.list_line_configured" if configured else "organiser.list_line"
    return t(language, key, who=who, scope=scope_label(language, region, event_code))


# -- /stats, unmet demand, the outbox ------------------------------------------------------------------
def stats_keyboard(language: str, parked: int) -> Keyboard:
    """Below the chart: unmet demand, and the parked outbox messages when there are any."""
    rows = [[Button(t(language, "stats.unmet_button"), pack("st", "unmet"))]]
    if parked:
        rows.append(
            [Button(t(language, "stats.parked_button", count=count(parked, language)), pack("st", "outbox"))]
        )
    return rows


def unmet_keyboard(language: str, item_ids: list[int]) -> Keyboard:
    """One button per reported need (by its profile item): start a broadcast to that need's region."""
    return [
        [Button(t(language, "stats.unmet_broadcast_button", number=number), pack("ud", item_id))]
        for number, item_id in enumerate(item_ids[:UNMET_BUTTONS], start=1)
    ]


# Telegram's and the sender's error texts, by a piece of them, to a reason an organiser can act on.
_OUTBOX_ERRORS = (
    ("blocked", "blocked"),
    ("chat not found", "never_started"),
    ("deactivated", "deactivated"),
    ("too long", "too_long"),
    ("timed out", "timed_out"),
    ("network", "network"),
    ("429", "flood"),
    ("too many requests", "flood"),
    ("given up", "given_up"),
)


def outbox_line(
    language: str, *, outbox_id: int, kind: str, recipient: str | None, attempts: int, error: str
) -> str:
    """One parked message in words: what it was, to whom, how often tried and why it failed.

    The raw error stays at the end (in a code span) for whoever has to look further."""
    texts = catalogue(language)
    what = texts.get(f"organiser.outbox_kind.{kind}", kind)
    lowered = error.lower()
    reason = next((key for piece, key in _OUTBOX_ERRORS if piece in lowered), "other")
    return t(
        language,
        "organiser.outbox_line",
        id=outbox_id,
        kind=what,
        who=recipient or t(language, "organiser.outbox_no_name"),
        attempts=Counted("attempts", attempts),
        reason=t(language, f"organiser.outbox_error.{reason}"),
        error=error or "?",
    )


def outbox_keyboard(language: str) -> Keyboard:
    """Under the list of parked messages: try them all again."""
    return [[Button(t(language, "organiser.outbox_retry"), pack("org", "retry"))]]


# -- /broadcast -------------------------------------------------------------------------------------------
def describe_segment(language: str, segment: dict[str, Any], event_name: str | None = None) -> str:
    """The segment in words ("iedereen", "regio Achterhoek · rol bedrijf"), HTML-escaped."""
    parts = []
    scope = segment.get("scope") or {}
    if scope.get("region") and not segment.get("region"):  # a scoped organiser's "everyone"
        parts.append(t(language, "broadcast.seg_region", region=region_label(language, scope["region"])))
    if scope.get("event_code") and segment.get("event") is None:
        parts.append(t(language, "broadcast.seg_event", event=scope["event_code"]))
    if segment.get("region"):
        parts.append(t(language, "broadcast.seg_region", region=region_label(language, segment["region"])))
    if segment.get("role"):
        parts.append(t(language, "broadcast.seg_role", role=role_label(language, segment["role"])))
    if segment.get("event") is not None:
        parts.append(t(language, "broadcast.seg_event", event=event_name or "?"))
    if segment.get("theme") is not None:
        parts.append(t(language, "broadcast.seg_theme", theme=segment["theme"]))
    if segment.get("inactive_weeks"):
        parts.append(t(language, "broadcast.seg_inactive", weeks=segment["inactive_weeks"]))
    could_offer = segment.get("could_offer")
    if isinstance(could_offer, dict):
        roles = ", ".join(role_label(language, role) for role in could_offer.get("roles") or [])
        parts.append(
            t(
                language,
                "broadcast.seg_could_offer",
                roles=roles or "—",
                need=str(could_offer.get("need", "")),
            )
        )
    return " · ".join(parts) if parts else t(language, "broadcast.seg_all")


def preview_text(
    language: str, *, text: str, segment: dict[str, Any], event_name: str | None, recipients: int
) -> str:
    """The draft as it would go out, who gets it, and a warning when that is nobody."""
    shown = t(
        language,
        "broadcast.preview",
        text=Markup(text),
        segment=Markup(describe_segment(language, segment, event_name)),
        recipients=count(recipients, language),
    )
    if not recipients:
        shown += "\n\n" + t(language, "broadcast.nobody")
    return shown


def with_sender(language: str, sender: str | None, text: str) -> str:
    """The broadcast as recipients get it: the sender line ("Bericht van de organisatie · Olga"), then it."""
    if sender:
        line = t(language, "broadcast.sender_line", name=sender)
    else:
        line = t(language, "broadcast.sender_line_plain")
    return f"{line}\n\n{text}"


def sent_copy_text(language: str, *, text: str, segment: dict[str, Any], event_name: str | None) -> str:
    """The organiser's own copy of a sent broadcast (the preview, kept once it was sent)."""
    segment_text = Markup(describe_segment(language, segment, event_name))
    return t(language, "broadcast.sent_copy", segment=segment_text) + "\n\n" + text


def segment_keyboard(language: str, broadcast_id: int) -> Keyboard:
    """Who receives it: everyone, or by region, role, event or theme keyword."""
    return [
        [Button(t(language, "broadcast.seg_all_button"), pack("bc", "all", broadcast_id))],
        [
            Button(t(language, "broadcast.by_region"), pack("bc", "dim", broadcast_id, "region")),
            Button(t(language, "broadcast.by_role"), pack("bc", "dim", broadcast_id, "role")),
        ],
        [
            Button(t(language, "broadcast.by_event"), pack("bc", "dim", broadcast_id, "event")),
            Button(t(language, "broadcast.by_theme"), pack("bc", "dim", broadcast_id, "theme")),
        ],
        [Button(t(language, "broadcast.by_inactive"), pack("bc", "dim", broadcast_id, "inactive"))],
        [Button(t(language, "broadcast.cancel_button"), pack("bc", "stop", broadcast_id))],
    ]


def inactive_choices(language: str, weeks: tuple[int, ...]) -> list[tuple[str, str]]:
    """(value, label) of the "niet actief sinds N weken" buttons."""
    return [(str(n), t(language, "broadcast.inactive_choice", weeks=n)) for n in weeks]


def broadcast_history_text(language: str, lines: list[BroadcastLine], *, tz: dt.tzinfo) -> str:
    """/broadcasts: the newest broadcasts, each with when, to whom, what, and how delivery went."""
    if not lines:
        return t(language, "broadcast.history_none")
    parts = [t(language, "broadcast.history_title")]
    for line in lines:
        plain = html.unescape(_TAG.sub("", line.text)) if line.parse_mode == "HTML" else line.text
        plain = " ".join(plain.split())
        status = {"cancelled": "broadcast.history_cancelled", "sending": "broadcast.history_sending"}.get(
            line.status
        )
        entry = t(
            language,
            "broadcast.history_line",
            when=line.started_at.astimezone(tz).strftime("%d-%m-%Y %H:%M") if line.started_at else "—",
            segment=Markup(describe_segment(language, line.segment, line.event_name)),
            text=plain[:80] + ("…" if len(plain) > 80 else ""),
            recipients=count(line.recipients, language),
            sent=count(line.counts.get("sent", 0), language),
            blocked=count(line.counts.get("blocked", 0), language),
            failed=count(line.counts.get("parked", 0), language),
            waiting=count(line.counts.get("pending", 0) + line.counts.get("sending", 0), language),
        )
        if status is not None:
            entry += " " + t(language, status)
        if len("\n\n".join([*parts, entry])) > 4000:
            break
        parts.append(entry)
    return "\n\n".join(parts)


def choice_keyboard(
    language: str, broadcast_id: int, dimension: str, choices: list[tuple[str, str]]
) -> Keyboard:
    """One button per region / role / event (two per row), and back."""
    buttons = [Button(label, pack("bc", "set", broadcast_id, dimension, value)) for value, label in choices]
    return [*grid(buttons, 2), [Button(t(language, "broadcast.back"), pack("bc", "seg", broadcast_id))]]


def preview_keyboard(language: str, broadcast_id: int, recipients: int) -> Keyboard:
    """Send (with the count), change the segment, or cancel."""
    rows: Keyboard = []
    if recipients:
        label = t(language, "broadcast.send_button", count=recipients)
        rows.append([Button(label, pack("bc", "go", broadcast_id))])
    rows.append([Button(t(language, "broadcast.change_segment"), pack("bc", "seg", broadcast_id))])
    rows.append([Button(t(language, "broadcast.cancel_button"), pack("bc", "stop", broadcast_id))])
    return rows


def progress_keyboard(language: str, broadcast_id: int) -> Keyboard:
    """The cancel button on a running broadcast's progress message."""
    return [[Button(t(language, "broadcast.stop_running"), pack("bc", "halt", broadcast_id))]]


def organiser_welcome(language: str, token: str | None = None) -> tuple[str, Keyboard]:
    """/start from an organiser who is not a participant: what they can do, and a way to take part too."""
    lines = [
        t(language, "start.organiser_welcome"),
        *organiser_lines(language),
        "",
        t(language, "start.organiser_join"),
    ]
    join = pack("join", token) if token else pack("join")
    return "\n".join(lines), [[Button(t(language, "start.join_button"), join)]]
