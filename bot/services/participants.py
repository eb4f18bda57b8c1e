"""The participant's own data: registration at consent, profile steps, input rules, completeness, export.

Plain functions over a session (the caller commits). Conversation state lives in the database
(`Participant.conversation_state`): `ob:<step>` while onboarding, `ed:<step>` while editing one field,
`relay:<suggestion id>` while typing a message to pass on, None when idle.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from sqlmodel import Session

import matching
from bot.services.cleaning import strip_controls
from storage import participants as store
from storage.invitations import Redemption, RedemptionProblem, redeem_invitation
from storage.models import (
    Event,
    Invitation,
    ItemKind,
    Participant,
    ProfileItem,
)

__all__ = [
    "ITEM_MAX",
    "ITEM_STEPS",
    "LIMITS",
    "RELAY_MAX",
    "STEPS",
    "InputProblem",
    "Registration",
    "add_items",
    "choose",
    "clean_text",
    "completeness",
    "items_by_kind",
    "join_by_invitation",
    "next_state",
    "register",
    "set_text_field",
    "split_items",
    "state_step",
    "toggle_theme",
]

#: The onboarding questions, in order.
STEPS: tuple[str, ...] = ("name", "organisation", "role", "region", "reach", "offers", "needs", "themes")
TEXT_STEPS = ("name", "organisation")
CHOICE_STEPS = {"role": matching.ROLES, "region": matching.REGIONS, "reach": matching.REACHES}
ITEM_STEPS = {"offers": ItemKind.OFFER, "needs": ItemKind.NEED, "themes": ItemKind.THEME}
LIMITS = {"name": 100, "organisation": 150}
ITEM_MAX = 200
MESSAGE_MAX = 2000
RELAY_MAX = 1000
THEME_COUNT = 12  # profile.theme.t0 … t11 in the catalogues

_SEPARATORS = re.compile(r"[;\n,]+")


class InputProblem(ValueError):
    """Input that cannot be used; `key` is the catalogue text that explains it, `values` its placeholders."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass
class Registration:
    """The outcome of consenting: the new participant, and what happened to an invitation token."""

    participant: Participant
    created: bool
    problem: RedemptionProblem | None = None
    invited: bool = False
    event_name: str | None = None
    prefilled: list[str] = field(default_factory=list)


# -- state -------------------------------------------------------------------------------------------------
def state_step(participant: Participant) -> tuple[str | None, str | None]:
    """(mode, step) of the state: ("ob", "role"), ("ed", "offers"), ("relay", "12") or (None, None)."""
    state = participant.conversation_state
    if not state or ":" not in state:
        return None, None
    mode, _, step = state.partition(":")
    return mode, step


def next_state(step: str) -> str:
    """The onboarding state after `step` ("ob:summary" after the last question)."""
    index = STEPS.index(step)
    return f"ob:{STEPS[index + 1]}" if index + 1 < len(STEPS) else "ob:summary"


# -- input rules -------------------------------------------------------------------------------------------
def clean_text(text: str | None, *, limit: int) -> str:
    """Trimmed single-spaced text within `limit` characters (control characters dropped), or InputProblem."""
    value = " ".join(strip_controls(text or "").split())
    if not value:
        raise InputProblem("onboarding.empty_text")
    if len(value) > limit:
        raise InputProblem("onboarding.too_long", limit=limit)
    return value


def split_items(text: str | None) -> list[str]:
    """Several items in one message, separated by ; , or new lines; each within ITEM_MAX characters."""
    if text is not None and len(text) > MESSAGE_MAX:
        raise InputProblem("onboarding.too_long", limit=MESSAGE_MAX)
    items = [" ".join(part.split()) for part in _SEPARATORS.split(strip_controls(text or ""))]
    items = [item.strip(" .-•*") for item in items]
    items = [item for item in items if item]
    if not items:
        raise InputProblem("onboarding.empty_text")
    if any(len(item) > ITEM_MAX for item in items):
        raise InputProblem("onboarding.item_too_long", limit=ITEM_MAX)
    return items


# -- registration ------------------------------------------------------------------------------------------
def register(
    session: Session,
    *,
    telegram_id: int,
    chat_id: int,
    username: str | None,
    language: str,
    token: str | None,
    now: dt.datetime,
) -> Registration:
    """Consent given: create the participant (or find them), redeem an invitation, apply its prefill."""
    existing = store.get_by_telegram_id(session, telegram_id=telegram_id)
    if existing is not None:
        return Registration(existing, created=False)
    participant = store.create_participant(
        session, telegram_id=telegram_id, chat_id=chat_id, username=username, language=language, now=now
    )
    participant.conversation_state = "ob:name"
    registration = Registration(participant, created=True)
    if token:
        assert participant.id is not None
        redemption = redeem_invitation(
            session, token=token, participant_id=participant.id, telegram_id=telegram_id, now=now
        )
        registration.problem = redemption.problem
        if redemption.problem is None:
            registration.invited = True
            _apply_invitation(session, participant, redemption, registration, now=now)
    session.add(participant)
    session.flush()
    return registration


def join_by_invitation(
    session: Session, *, participant: Participant, token: str, now: dt.datetime
) -> Registration:
    """`/start <token>` from someone already registered: join an event-wide link's event, change nothing else.

    The profile is theirs now, so nothing is prefilled; a personal invitation is refused and left unused
    (it is its owner's only, and someone registered gains nothing from it).
    """
    assert participant.id is not None
    registration = Registration(participant, created=False)
    redemption = redeem_invitation(
        session, token=token, participant_id=participant.id, now=now, registered=True
    )
    registration.problem = redemption.problem
    if redemption.problem is None and redemption.event_id is not None:
        store.join_event(session, participant_id=participant.id, event_id=redemption.event_id)
        event = session.get(Event, redemption.event_id)
        registration.invited = True
        registration.event_name = event.name if event is not None else None
    return registration


def _apply_invitation(
    session: Session,
    participant: Participant,
    redemption: Redemption,
    registration: Registration,
    *,
    now: dt.datetime,
) -> None:
    assert participant.id is not None
    if redemption.event_id is not None:
        store.join_event(session, participant_id=participant.id, event_id=redemption.event_id)
        event = session.get(Event, redemption.event_id)
        registration.event_name = event.name if event is not None else None
    prefill = redemption.prefill
    for name in TEXT_STEPS:
        value = prefill.get(name)
        if isinstance(value, str) and value.strip():
            setattr(participant, name, " ".join(value.split())[: LIMITS[name]])
            registration.prefilled.append(name)
    if isinstance(prefill.get("role"), str) and prefill["role"].strip():
        participant.role = matching.parse_role(prefill["role"])
        registration.prefilled.append("role")
    if isinstance(prefill.get("region"), str) and prefill["region"].strip():
        participant.region = matching.parse_region(prefill["region"])
        registration.prefilled.append("region")
    if isinstance(prefill.get("reach"), str) and prefill["reach"] in matching.REACHES:
        participant.reach = prefill["reach"]
    if isinstance(prefill.get("email"), str):
        participant.email = prefill["email"][:320]
    invitation = session.get(Invitation, redemption.invitation_id) if redemption.invitation_id else None
    if invitation is not None and invitation.email and not participant.email:
        participant.email = invitation.email
    for step, kind in ITEM_STEPS.items():
        value = prefill.get(step)
        texts: list[str] = []
        if isinstance(value, str):
            try:
                texts = split_items(value)
            except InputProblem:
                texts = []
        elif isinstance(value, list):
            texts = [" ".join(str(v).split())[:ITEM_MAX] for v in value if str(v).strip()]
        if texts:
            add_items(session, participant=participant, kind=kind, texts=texts, now=now)
            registration.prefilled.append(step)


# -- profile edits -----------------------------------------------------------------------------------------
def set_text_field(
    session: Session, *, participant: Participant, step: str, text: str | None, now: dt.datetime
) -> str:
    """Set name or organisation from typed text (InputProblem when it cannot be used)."""
    if step not in TEXT_STEPS:
        raise ValueError(f"{step} is not a text field")
    value = clean_text(text, limit=LIMITS[step])
    setattr(participant, step, value)
    store.touch(participant, now=now)
    session.add(participant)
    return value


def choose(session: Session, *, participant: Participant, step: str, code: str, now: dt.datetime) -> bool:
    """Set role, region or reach to one of its codes; False for a code that is not on the list."""
    if step not in CHOICE_STEPS or code not in CHOICE_STEPS[step]:
        return False
    setattr(participant, step, code)
    store.touch(participant, now=now)
    session.add(participant)
    return True


def parse_choice(step: str, text: str) -> str | None:
    """A typed answer to a button question, when it clearly names one option (else None)."""
    folded = " ".join(text.casefold().split())
    if step == "role":
        code = matching.parse_role(folded)
        return None if code == "other" and "other" not in folded and "ander" not in folded else code
    if step == "region":
        code = matching.parse_region(folded)
        if code == "outside" and not any(w in folded for w in ("buiten", "outside", "elders")):
            return None
        return code
    if step == "reach":
        for code, words in (
            ("own", ("eigen", "own", "alleen")),
            ("neighbours", ("buur", "neighbour", "neighbor")),
            ("anywhere", ("overal", "anywhere", "maakt niet uit", "everywhere")),
        ):
            if any(word in folded for word in words):
                return code
    return None


def add_items(
    session: Session, *, participant: Participant, kind: ItemKind, texts: list[str], now: dt.datetime
) -> list[ProfileItem]:
    """Add offers, needs or themes (normalised for the matcher); InputProblem when the list is full."""
    assert participant.id is not None
    existing = store.items_of(session, participant_id=participant.id, kind=kind)
    if len(existing) >= store.MAX_ITEMS_PER_KIND:
        raise InputProblem("onboarding.too_many_items", limit=store.MAX_ITEMS_PER_KIND)
    pairs = [(text, matching.normalise_phrase(text)) for text in texts]
    return store.add_items(session, participant=participant, kind=kind, texts=pairs, now=now)


def toggle_theme(session: Session, *, participant: Participant, theme: str, now: dt.datetime) -> bool:
    """Add the theme, or remove it when present; True when it is now chosen."""
    assert participant.id is not None
    for item in store.items_of(session, participant_id=participant.id, kind=ItemKind.THEME):
        if item.text.casefold() == theme.casefold():
            assert item.id is not None
            store.remove_item(session, participant=participant, item_id=item.id, now=now)
            return False
    add_items(session, participant=participant, kind=ItemKind.THEME, texts=[theme], now=now)
    return True


def items_by_kind(session: Session, *, participant_id: int) -> dict[str, list[ProfileItem]]:
    """The participant's items grouped per kind (offer, need, theme)."""
    grouped: dict[str, list[ProfileItem]] = {kind.value: [] for kind in ItemKind}
    for item in store.items_of(session, participant_id=participant_id):
        grouped.setdefault(item.kind, []).append(item)
    return grouped


# -- completeness ------------------------------------------------------------------------------------------
_WEIGHTS = {
    "name": 10,
    "organisation": 10,
    "role": 10,
    "region": 10,
    "offers": 20,
    "needs": 25,
    "themes": 10,
}


def completeness(participant: Participant, items: dict[str, list[ProfileItem]]) -> tuple[int, list[str]]:
    """How complete the profile is (0–100) and the tips (catalogue keys) that would improve suggestions."""
    present = {
        "name": bool(participant.name),
        "organisation": bool(participant.organisation),
        "role": bool(participant.role) and participant.role != "other",
        "region": bool(participant.region),
        "offers": bool(items.get(ItemKind.OFFER)),
        "needs": bool(items.get(ItemKind.NEED)),
        "themes": bool(items.get(ItemKind.THEME)),
    }
    score = sum(weight for name, weight in _WEIGHTS.items() if present[name])
    total_items = len(items.get(ItemKind.OFFER, [])) + len(items.get(ItemKind.NEED, []))
    if total_items >= 3:
        score += 5
    tips = [f"profile.tip.{name}" for name in ("needs", "offers", "role", "region", "organisation",
                                                "name", "themes") if not present[name]]  # fmt: skip
    if total_items < 3:
        tips.append("profile.tip.more_items")
    return min(100, score), tips
