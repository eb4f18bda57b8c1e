"""What the participant sees: pure functions from resolved data to (HTML text, keyboard), in their language.

Used by the conversation for direct replies and by the services for outbox messages, so a suggestion card
looks the same whether it answers /matches or arrives on its own. Nothing here reads the database or asks
the matcher: the caller passes the rows and the suggestion it resolved. The questions come from the field
table (`bot.fields`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import matching
from bot.callbacks import pack
from bot.fields import FIELDS, THEME_COUNT, Field, FieldKind
from bot.keyboards import Button, Keyboard, grid
from bot.reasons import reason_lines
from bot.texts import LANGUAGES, Counted, first_name, region_name, t
from storage.models import Participant, ProfileItem

__all__ = [
    "DigestEntry",
    "View",
    "answered_card",
    "ask_field",
    "consent_keyboard",
    "choice_label",
    "contact_link",
    "digest_back",
    "digest_view",
    "introduction_view",
    "language_keyboard",
    "language_name",
    "profile_view",
    "relay_not_open_view",
    "relay_not_text_view",
    "relay_prompt",
    "relay_stop_keyboard",
    "suggestion_card",
    "summary_view",
    "theme_labels",
    "yes_waiting_view",
]

View = tuple[str, Keyboard]


def consent_keyboard(language: str, token: str | None = None) -> Keyboard:
    """The two answers to the consent question (an invitation token rides along, unstored)."""
    yes = pack("consent", "yes", language, token) if token else pack("consent", "yes", language)
    return [
        [Button(t(language, "start.consent_button"), yes)],
        [Button(t(language, "start.decline_button"), pack("consent", "no"))],
    ]


@cache  # a handful of codes, on every card the digest renders
def choice_label(language: str, step: str, code: str | None) -> str:
    """The person-facing label of a role, region or reach code."""
    if not code:
        return t(language, "profile.empty")
    if step == "region":
        return region_name(language, code)
    return t(language, f"profile.{step}.{code}")


def theme_labels(language: str) -> list[str]:
    """The suggested common themes, in the person's language."""
    return [t(language, f"profile.theme.t{index}") for index in range(THEME_COUNT)]


def _short(text: str, limit: int = 28) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _item_lines(language: str, items: Sequence[ProfileItem]) -> str:
    if not items:
        return t(language, "onboarding.items_none")
    return "\n".join(f"• {t(language, 'common.raw', value=item.text)}" for item in items)


def ask_field(
    language: str,
    field: Field,
    participant: Participant,
    items: dict[str, list[ProfileItem]],
    *,
    onboarding: bool,
    telegram_name: str | None = None,
) -> View:
    """The question of one profile field, with its buttons (`onboarding`: with "step n of m", no way back)."""
    head = t(language, "onboarding.step_of", number=FIELDS.index(field) + 1, total=len(FIELDS)) + "\n"
    head = head if onboarding else ""
    back: Keyboard = [] if onboarding else [[Button(t(language, "profile.back_button"), pack("pf", "back"))]]
    if field.kind is FieldKind.TEXT:
        current = field.value(participant) or (telegram_name if field.name == "name" else None)
        rows: Keyboard = []
        if current:
            keep = t(language, "onboarding.keep_button", value=_short(current, 40))
            rows.append([Button(keep, pack("ob", "keep", field.name))])
        return head + t(language, f"onboarding.ask_{field.name}"), rows + back
    if field.kind is FieldKind.CHOICE:
        chosen = field.value(participant)
        buttons = [
            Button(
                ("✓ " if code == chosen else "") + choice_label(language, field.name, code),
                pack("ob", field.name, code),
            )
            for code in field.codes
        ]
        return head + t(language, f"onboarding.ask_{field.name}"), grid(buttons, field.per_row) + back
    own = list(field.items(items))
    if field.kind is FieldKind.ITEMS:
        if own:  # the question was asked already: show the list so far, short
            label = t(language, f"profile.field.{field.name}")
            text = (
                head + t(language, "onboarding.items_field", field=label) + "\n" + _item_lines(language, own)
            )
            text += "\n\n" + t(language, "onboarding.items_more")
        else:
            text = head + t(language, f"onboarding.ask_{field.name}")
        rows = [[_remove_button(language, item)] for item in own]
        done = "onboarding.done_button" if own or not onboarding else "onboarding.skip_button"
        rows.append([Button(t(language, done), pack("ob", "done", field.name))])
        return text, rows
    chosen_themes = {item.text.casefold() for item in own}
    labels = theme_labels(language)
    text = head + t(language, f"onboarding.ask_{field.name}")
    custom = [item for item in own if item.text.casefold() not in {label.casefold() for label in labels}]
    if custom:
        # The tapped themes show as ticked buttons; this lists the ones typed, and says so.
        text += "\n\n" + t(language, "onboarding.themes_typed") + "\n" + _item_lines(language, custom)
    buttons = [
        Button(("✓ " if label.casefold() in chosen_themes else "") + label, pack("th", index))
        for index, label in enumerate(labels)
    ]
    rows = [*grid(buttons, 2), *([_remove_button(language, item)] for item in custom)]
    rows.append([Button(t(language, "onboarding.done_button"), pack("th", "done"))])
    return text, rows


def _remove_button(language: str, item: ProfileItem) -> Button:
    return Button(t(language, "onboarding.remove_button", item=_short(item.text)), pack("pf", "rm", item.id))


def _profile_lines(language: str, participant: Participant, items: dict[str, list[ProfileItem]]) -> list[str]:
    def line(field: str, value: str) -> str:
        return t(language, "profile.line", label=t(language, f"profile.field.{field}"), value=value)

    empty = t(language, "profile.empty")
    lines = []
    for field in FIELDS:
        if field.kind is FieldKind.TEXT:
            lines.append(line(field.name, field.value(participant) or empty))
        elif field.kind is FieldKind.CHOICE:
            lines.append(line(field.name, choice_label(language, field.name, field.value(participant))))
        else:
            texts = [item.text for item in field.items(items)]
            lines.append(line(field.name, "; ".join(texts) if texts else empty))
    return lines


def _edit_buttons(language: str) -> Keyboard:
    buttons = [Button(t(language, f"profile.field.{f.name}"), pack("pf", "ed", f.name)) for f in FIELDS]
    return grid(buttons, 2)


def summary_view(language: str, participant: Participant, items: dict[str, list[ProfileItem]]) -> View:
    """The end of onboarding: the whole profile, edit buttons, and the button that finishes."""
    text = "\n".join(
        [t(language, "onboarding.summary_title"), "", *_profile_lines(language, participant, items), "",
         t(language, "onboarding.summary_hint")]
    )  # fmt: skip
    rows = _edit_buttons(language)
    rows.append([Button(t(language, "onboarding.finish_button"), pack("ob", "finish"))])
    return text, rows


def profile_view(
    language: str,
    participant: Participant,
    items: dict[str, list[ProfileItem]],
    *,
    percent: int,
    tips: Sequence[str],
) -> View:
    """/profile: the profile with its completeness, tips, and a button per field."""
    parts = [t(language, "profile.title", percent=percent), "", *_profile_lines(language, participant, items)]
    if participant.status == "paused":
        parts += ["", t(language, "profile.paused_note")]
    if tips:
        parts += ["", t(language, "profile.tips_title"), *(f"• {t(language, key)}" for key in tips)]
    else:
        parts += ["", t(language, "profile.complete")]
    parts += ["", t(language, "profile.edit_hint")]
    return "\n".join(parts), _edit_buttons(language)


def _who(language: str, other: Participant) -> str:
    return t(
        language,
        "matches.card_who",
        organisation=other.organisation or t(language, "profile.empty"),
        role=choice_label(language, "role", other.role),
        region=choice_label(language, "region", other.region),
    )


def _reasons(language: str, view: matching.Suggestion, other: Participant) -> list[str]:
    return [f"• {line}" for line in reason_lines(language, view.reasons, other.name or "")]


@cache
def _card_texts(language: str) -> dict[str, str]:
    """The card's texts without placeholders, rendered once per language (the digest makes thousands)."""
    keys = ("card_why", "card_question", "yes_button", "no_button", "later_button", "never_button")
    return {key: t(language, f"matches.{key}") for key in keys}


def suggestion_card(
    language: str,
    *,
    suggestion_id: int,
    view: matching.Suggestion,
    other: Participant,
    new: bool = False,
    title: str | None = None,
    suggested_by: str | None = None,
) -> View:
    """A suggestion: who, organisation, role, region and why, with the four answers. No contact details.

    The same card answers /matches and arrives through the outbox (digest, follow-up); `title`, already
    rendered, replaces the first line there ("new this week", "still waiting for your answer");
    `suggested_by` names the organiser who proposed the pair.
    """
    if title is None:
        title = t(language, "matches.card_new" if new else "matches.card_title", name=other.name or "")
    texts = _card_texts(language)
    parts = [title, _who(language, other), ""]
    if suggested_by:  # an organiser proposed the pair (/introduce)
        parts += [t(language, "matches.card_suggested_by", organiser=suggested_by), ""]
    reasons = _reasons(language, view, other)
    if reasons:
        parts += [texts["card_why"], *reasons, ""]
    parts.append(texts["card_question"])
    rows: Keyboard = [
        [
            Button(texts["yes_button"], pack("sg", suggestion_id, "y")),
            Button(texts["no_button"], pack("sg", suggestion_id, "n")),
        ],
        [
            Button(texts["later_button"], pack("sg", suggestion_id, "l")),
            Button(texts["never_button"], pack("sg", suggestion_id, "x")),
        ],
    ]
    return "\n".join(parts), rows


_ANSWER_LINES = {
    "y": "matches.answered_yes",
    "n": "matches.answered_no",
    "x": "matches.answered_never",
    "l": "matches.answered_later",
}


def answered_card(
    language: str,
    *,
    suggestion_id: int,
    view: matching.Suggestion,
    other: Participant,
    answer: str,
    title: str | None = None,
) -> View:
    """A suggestion card after one's own answer (`y`, `n`, `x`, `l`): the card, the answer in place of the
    question. A decline keeps an undo button; "later" keeps the answers; "yes" has nothing left to press.
    """
    text, rows = suggestion_card(language, suggestion_id=suggestion_id, view=view, other=other, title=title)
    body = text.rsplit("\n", 1)[0]  # without the question, which is always the last line
    line = t(language, _ANSWER_LINES[answer], name=other.name or "…")
    if answer in ("n", "x"):
        rows = [[Button(t(language, "matches.undo_button"), pack("sg", suggestion_id, "u"))]]
    elif answer == "y":
        rows = []
    return f"{body}\n{line}", rows


YES_WAITING_LISTED = 10  # names listed under "you said yes to" in /matches (the rest are counted)


def yes_waiting_view(language: str, others: Sequence[Participant]) -> str:
    """/matches: the people this person said yes to and who have not said yes back (nothing is said about
    their answer: contact details and the introduction only come when both said yes)."""
    lines = [t(language, "matches.yes_waiting", count=len(others))]
    for other in others[:YES_WAITING_LISTED]:
        organisation = other.organisation or t(language, "profile.empty")
        line = t(language, "matches.yes_waiting_line", name=other.name or "…", organisation=organisation)
        lines.append(line)
    if len(others) > YES_WAITING_LISTED:
        more = Counted("people", len(others) - YES_WAITING_LISTED)
        lines.append(t(language, "matches.yes_waiting_more", more=more))
    name = first_name(others[0].name, "…") if others else ""
    lines.append(t(language, "matches.yes_waiting_hint", count=len(others), name=name))
    return "\n".join(lines)


def contact_link(username: str | None) -> str | None:
    """https://t.me/<username>, or None without a (valid) username."""
    if username and all(ch.isalnum() or ch == "_" for ch in username):
        return f"https://t.me/{username}"
    return None


def relay_stop_keyboard(language: str, suggestion_id: int) -> Keyboard:
    """The visible way out of an open relay (the same as /cancel)."""
    return [[Button(t(language, "matches.relay_stop_button"), pack("relay", suggestion_id, "stop"))]]


def relay_prompt(language: str, *, suggestion_id: int, name: str, limit: int) -> View:
    """A relay is open: type messages for `name`; with the button that stops it."""
    return t(
        language, "matches.relay_ask", name=name, length=Counted("characters", limit)
    ), relay_stop_keyboard(language, suggestion_id)


def relay_not_text_view(language: str, *, suggestion_id: int) -> View:
    """A sticker, photo… sent while a relay is open: only text is passed on; with the button that stops it."""
    return t(language, "matches.relay_not_text"), relay_stop_keyboard(language, suggestion_id)


def relay_not_open_view(language: str, *, suggestion_id: int, name: str) -> View:
    """Text typed without an open relay, by someone `name` passed a message to: how to answer, with the
    button that opens the relay."""
    label = t(language, "matches.relay_reply_button", name=_short(name))
    text = t(language, "matches.relay_not_open_text", name=name)
    return text, [[Button(label, pack("relay", suggestion_id))]]


def introduction_view(
    language: str, *, suggestion_id: int, view: matching.Suggestion, other: Participant, news: bool = False
) -> View:
    """Both said yes: who the other is, why, a first step, and how to reach them.

    `news`: in the card pressed by the side who said yes second, under "Jullie willen allebei!", which
    then says what the opening line would (so that line is left out).
    """
    name = other.name or ""
    opening = [t(language, "matches.answered_introduced"), ""] if news else []
    body = [] if news else [t(language, "matches.intro_body", name=name)]
    parts = [*opening, t(language, "matches.intro_title", name=name), *body, _who(language, other), ""]
    reasons = _reasons(language, view, other)
    if reasons:
        parts += [t(language, "matches.card_why"), *reasons, ""]
    topic = next(
        (r.other_text or r.own_text for r in view.reasons if r.kind in ("need_offer", "offer_need")), None
    )
    if topic:
        parts.append(t(language, "matches.intro_first_step_reason", name=name, topic=topic))
    else:
        parts.append(t(language, "matches.intro_first_step", name=name))
    rows: Keyboard = []
    link = contact_link(other.username)
    if link:
        parts.append(t(language, "matches.intro_contact_link", link=link))
    else:
        parts.append(t(language, "matches.intro_contact_relay", name=name))
    rows.append(
        [Button(t(language, "matches.relay_button", name=_short(name)), pack("relay", suggestion_id))]
    )
    return "\n".join(parts), rows


_LANGUAGE_NAMES = {"nl": "Nederlands", "en": "English"}


def language_name(code: str) -> str:
    """A language's own name (as on its button)."""
    return _LANGUAGE_NAMES.get(code, code)


def language_keyboard(current: str | None = None, token: str | None = None) -> Keyboard:
    """One button per language, the `current` one ticked; an invitation token rides along before consent."""
    return [
        [
            Button(
                ("✓ " if code == current else "") + language_name(code),
                pack("lang", code, token) if token else pack("lang", code),
            )
            for code in LANGUAGES
        ]
    ]


@dataclass(frozen=True)
class DigestEntry:
    """One suggestion in a weekly digest, resolved: who, and where it stands."""

    suggestion_id: int
    name: str
    organisation: str
    new: bool  # made by this week's digest
    waits_for_you: bool = False  # the other side said yes and waits for this person's answer
    answered: bool = False  # this person answered it since the digest was sent


def digest_view(language: str, *, week: str, entries: Sequence[DigestEntry]) -> View:
    """The weekly digest as one message: the suggestions listed, a button each that opens its card here."""
    fresh = [entry for entry in entries if entry.new]
    waiting = [entry for entry in entries if not entry.new]
    lines = [t(language, "digest.title"), ""]
    if fresh:
        lines.append(t(language, "digest.new", count=len(fresh)))
        for entry in fresh:
            organisation = entry.organisation or "—"
            lines.append(t(language, "digest.new_line", name=entry.name, organisation=organisation))
    if waiting:
        if fresh:
            lines.append("")
        lines.append(t(language, "digest.waiting"))
        for entry in waiting:  # "waits for you" only when the other said yes; otherwise nothing about them
            key = "digest.waiting_line_yes" if entry.waits_for_you else "digest.waiting_line"
            lines.append(t(language, key, name=entry.name, organisation=entry.organisation or "—"))
    if entries:
        lines += ["", t(language, "digest.tap_hint"), t(language, "digest.closing")]
    else:  # everything on it answered since it was sent: say so, not a title above nothing
        lines.append(t(language, "digest.all_answered"))
    rows: Keyboard = []
    for entry in entries:
        mark = "✓ " if entry.answered else "🆕 " if entry.new else "⏳ " if entry.waits_for_you else ""
        rows.append([Button(mark + _short(entry.name, 40), pack("dg", "o", entry.suggestion_id, week))])
    return "\n".join(lines), rows


def digest_back(language: str, view: View, week: str | None) -> View:
    """A card shown inside a digest message keeps a way back to the digest's list (`week` None: as is)."""
    if week is None:
        return view
    text, rows = view
    return text, [*rows, [Button(t(language, "digest.back_button"), pack("dg", "b", week))]]
