"""Matchmaking rules: profiles from storage into the matcher, history, suggestions, and double opt-in.

Plain functions that take a session (the caller commits): the `/matches` handler, the weekly digest and the
tests all use them. Who may answer what, and when a suggestion becomes an introduction, is decided here.

Exceptions::

    MatchmakingError          base class
    ├── UnknownSuggestion     no such suggestion (or it was removed)
    ├── NotASide              the person is not one of the two sides of the suggestion
    ├── SuggestionClosed      the suggestion can no longer be answered (withdrawn, expired, declined by
    │                         the other side)
    └── FinalAnswer           one's own "never" stands: only its undo button reopens it, not an answer
                              pressed on an older copy of the card
"""

from __future__ import annotations

import ctypes
import datetime as dt
import gc
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlmodel import Session

import matching
from bot.settings import Settings
from storage import participants as participants_store
from storage import suggestions as store
from storage.models import AnswerValue, Introduction, ItemKind, Suggestion, SuggestionStatus

__all__ = [
    "AnswerOutcome",
    "FinalAnswer",
    "MatcherCache",
    "MatchmakingError",
    "NotASide",
    "Pair",
    "Recorded",
    "SuggestionClosed",
    "UnknownSuggestion",
    "answer_suggestion",
    "build_history",
    "find_new_suggestions",
    "load_profiles",
    "mark_shown",
    "match_config",
    "matching_suggestion",
    "other_side",
    "reasons_json",
    "record_suggestions",
    "suggested_by",
    "suggestions_for",
    "week_start",
]

logger = logging.getLogger(__name__)


class MatchmakingError(Exception):
    """Base class of the matchmaking rules' errors."""


class UnknownSuggestion(MatchmakingError):
    """There is no such suggestion."""


class NotASide(MatchmakingError):
    """The person is not one of the two sides of the suggestion (a forged or foreign button)."""


class SuggestionClosed(MatchmakingError):
    """The suggestion can no longer be answered."""


class FinalAnswer(MatchmakingError):
    """This side said "never": an answer from an older copy of the card does not reopen it (undo does)."""


@dataclass(frozen=True)
class AnswerOutcome:
    """What answering did: the row after the answer, and the introduction when both said yes."""

    suggestion: Suggestion
    side: str
    answer: AnswerValue
    introduction: Introduction | None = None
    newly_introduced: bool = False
    other_needs_asking: bool = False  # the other side has not seen the suggestion yet


class Pair(Protocol):
    """A stored suggestion as far as the rules read it: a stored row or one just recorded."""

    @property
    def id(self) -> int | None: ...
    @property
    def participant_a_id(self) -> int: ...
    @property
    def participant_b_id(self) -> int: ...
    @property
    def score(self) -> float: ...
    @property
    def reasons(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Recorded:
    """A suggestion as `record_suggestions` left it: its row's columns; `new` False for a reused open row."""

    id: int
    participant_a_id: int
    participant_b_id: int
    score: float
    reasons: dict[str, Any]
    new: bool = True


def match_config(settings: Settings) -> matching.MatchConfig:
    """The one matcher configuration of a process, from the settings (/matches, the digest, follow-ups)."""
    return matching.MatchConfig(
        weekly_new_per_person=settings.suggestions_per_week,
        weekly_incoming_cap=settings.incoming_per_week,
        cross_region_bonus=settings.cross_region_bonus,
    )


# -- profiles and history ---------------------------------------------------------------------------------
def _profile(participant: participants_store.ProfileRow, items: dict[str, list[str]]) -> matching.Profile:
    return matching.Profile(
        id=str(participant.id),
        name=participant.name or "",
        organisation=participant.organisation or "",
        role=participant.role or "other",
        region=participant.region or "outside",
        reach=participant.reach or "anywhere",
        offers=tuple(items.get(ItemKind.OFFER, ())),
        needs=tuple(items.get(ItemKind.NEED, ())),
        themes=tuple(items.get(ItemKind.THEME, ())),
        active=True,
    )


def load_profiles(session: Session) -> list[matching.Profile]:
    """Every active participant with a completed profile, as matching profiles (id = str(participant.id))."""
    return [_profile(p, items) for p, items in participants_store.active_profiles(session)]


def week_start(now: dt.datetime) -> dt.datetime:
    """Monday 00:00 UTC of `now`'s ISO week."""
    day = now.astimezone(dt.UTC).date() - dt.timedelta(days=now.astimezone(dt.UTC).weekday())
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def build_history(
    session: Session, *, now: dt.datetime, participant_id: int | None = None
) -> matching.History:
    """What the matcher must know about earlier suggestions; with `participant_id`, only that person's pairs.

    Per-person history is enough for `Matcher.suggest_for` and much cheaper at 10,000 participants; the
    weekly caps and unresponsiveness reports are always global.
    """
    pairs = store.pair_history(session, participant_id=participant_id)

    def key(pair: tuple[int, int]) -> tuple[str, str]:
        return (str(pair[0]), str(pair[1]))

    never = store.never_pairs(session, participant_id=participant_id)
    return matching.History(
        suggested=frozenset(key(pair) for pair in pairs.suggested),
        declined={key(pair): when for pair, when in pairs.declined.items()},
        expired={key(pair): when for pair, when in pairs.expired.items()},
        never={str(owner): frozenset(str(o) for o in others) for owner, others in never.items()},
        incoming_this_week={
            str(pid): count for pid, count in store.incoming_since(session, since=week_start(now)).items()
        },
        unresponsive_reports={str(pid): n for pid, n in store.unresponsive_counts(session).items()},
        inactive=frozenset(str(pid) for pid in store.inactive_ids(session)),
    )


# -- reasons as stored JSON --------------------------------------------------------------------------------
_MIRROR = {"need_offer": "offer_need", "offer_need": "need_offer"}


def reasons_json(reasons: Iterable[matching.Reason], *, mirrored: bool = False) -> list[dict[str, Any]]:
    """Reasons as stored in one side of `Suggestion.reasons`; `mirrored`: as the other side sees them."""
    return [_reason_json(_mirror(reason) if mirrored else reason) for reason in reasons]


def _reason_json(reason: matching.Reason) -> dict[str, Any]:
    return {
        "kind": reason.kind,
        "own": reason.own_text,
        "other": reason.other_text,
        "terms": list(reason.terms),
        "themes": list(reason.themes),
        "regions": list(reason.regions),
        "weight": reason.weight,
        # Partial fits are worded "Raakvlak: ..." on the card; stored, or the card would claim a full fit.
        "topic_only": reason.topic_only,
        "kind_only": reason.kind_only,
    }


def _mirror(reason: matching.Reason) -> matching.Reason:
    return matching.Reason(
        kind=_MIRROR.get(reason.kind, reason.kind),
        own_text=reason.other_text,
        other_text=reason.own_text,
        terms=reason.terms,
        themes=reason.themes,
        regions=(reason.regions[1], reason.regions[0]),
        weight=reason.weight,
        topic_only=reason.topic_only,
        kind_only=reason.kind_only,
    )


def _reason_from_json(data: dict[str, Any]) -> matching.Reason:
    regions = tuple(data.get("regions") or ("", ""))
    return matching.Reason(
        kind=str(data.get("kind", "")),
        own_text=str(data.get("own", "")),
        other_text=str(data.get("other", "")),
        terms=tuple(data.get("terms") or ()),
        themes=tuple(data.get("themes") or ()),
        regions=(str(regions[0]), str(regions[1])) if len(regions) == 2 else ("", ""),
        weight=float(data.get("weight") or 0.0),
        topic_only=bool(data.get("topic_only")),
        kind_only=bool(data.get("kind_only")),
    )


def _side(suggestion: Pair, participant_id: int) -> str | None:
    if suggestion.participant_a_id == participant_id:
        return "a"
    if suggestion.participant_b_id == participant_id:
        return "b"
    return None


def other_side(suggestion: Pair, participant_id: int) -> int:
    """The id of the other side (raises NotASide when the person is no side)."""
    side = _side(suggestion, participant_id)
    if side is None:
        raise NotASide(f"participant is not a side of suggestion {suggestion.id}")
    return suggestion.participant_b_id if side == "a" else suggestion.participant_a_id


def suggested_by(suggestion: Pair) -> str | None:
    """The organiser who proposed the pair (`/introduce`), or None for the matcher's own suggestions."""
    value = (suggestion.reasons or {}).get("suggested_by")
    return str(value) if value else None


def matching_suggestion(suggestion: Pair, participant_id: int) -> matching.Suggestion:
    """The stored suggestion from `participant_id`'s point of view, for `bot.reasons.reason_lines`."""
    side = _side(suggestion, participant_id)
    if side is None:
        raise NotASide(f"participant is not a side of suggestion {suggestion.id}")
    reasons = (suggestion.reasons or {}).get(side) or []
    return matching.Suggestion(
        participant_id=str(participant_id),
        other_id=str(other_side(suggestion, participant_id)),
        score=suggestion.score,
        reasons=tuple(_reason_from_json(r) for r in reasons if isinstance(r, dict)),
    )


# -- recording and listing ---------------------------------------------------------------------------------
def pair_up(suggestions: Iterable[matching.Suggestion]) -> dict[tuple[int, int], dict[str, Any]]:
    """Matcher suggestions as one row per pair (a < b) with each side's reasons, in the order first seen.

    A pair seen from one side only gets the mirrored reasons for the other side; a pair given in both
    directions (as `Matcher.weekly` does) keeps each side's own reasons.
    """
    rows: dict[tuple[int, int], dict[str, Any]] = {}
    for item in suggestions:
        me, other = int(item.participant_id), int(item.other_id)
        if me == other:
            continue
        low, high = min(me, other), max(me, other)
        mine, theirs = ("a", "b") if me == low else ("b", "a")
        own = reasons_json(item.reasons)
        row = rows.get((low, high))
        if row is None:
            reasons = {mine: own, theirs: reasons_json(item.reasons, mirrored=True)}
            rows[(low, high)] = {
                "participant_a_id": low,
                "participant_b_id": high,
                "score": item.score,
                "reasons": reasons,
            }
        else:
            row["reasons"] = {**row["reasons"], mine: own}
    return rows


def record_suggestions(
    session: Session,
    suggestions: Iterable[matching.Suggestion],
    *,
    source: str,
    week: str | None,
    now: dt.datetime,
    expires_at: dt.datetime | None = None,
    shown: bool = False,
) -> list[Recorded]:
    """Store matcher suggestions: one row per pair (a < b), reusing an open row for the same pair.

    New rows go in with one statement however many there are (the digest records thousands); `shown`
    marks them seen by both sides at once (a digest shows both). Returns every pair once, in the order
    first seen; a reused open row has `new` False.
    """
    pairs = pair_up(suggestions)
    if not pairs:
        return []
    involved = {pid for pair in pairs for pid in pair}
    taken = store.open_pair_ids(session, participant_ids=involved if len(involved) <= 900 else None)
    fresh = [(key, values) for key, values in pairs.items() if key not in taken]
    for _, values in fresh:
        values["expires_at"] = expires_at
        if shown:
            values["shown_a_at"] = values["shown_b_at"] = now
    ids = store.insert_suggestions(
        session, [values for _, values in fresh], source=source, week=week, now=now
    )
    new_ids = {key: sid for (key, _), sid in zip(fresh, ids, strict=True)}
    recorded: list[Recorded] = []
    for key, values in pairs.items():
        if key in new_ids:
            recorded.append(Recorded(new_ids[key], *key, values["score"], values["reasons"]))
            continue
        row = store.get_suggestion(session, suggestion_id=taken[key])
        if row is not None and row.id is not None:
            recorded.append(Recorded(row.id, *key, row.score, row.reasons or {}, new=False))
    return recorded


def suggestions_for(
    session: Session, *, participant_id: int, limit: int, now: dt.datetime
) -> list[Suggestion]:
    """Open suggestions this person still has to answer (the other side active), best first."""
    return store.open_for(session, participant_id=participant_id, now=now, limit=limit)


class MatcherCache:
    """One Matcher over all active profiles, rebuilt when profiles changed (thread-safe).

    Building the index over 10,000 profiles takes over a second; asking it about one person takes a few
    milliseconds. `get` compares `storage.participants.profile_fingerprint` (count and newest `updated_at`);
    when only other people's profiles changed, a matcher up to `max_age` seconds old is still used, so a
    busy event does not rebuild on every edit. The person asking is always current: when their own
    profile is missing or differs in the cached index, it is rebuilt.
    """

    def __init__(
        self,
        config: matching.MatchConfig | None = None,
        *,
        max_age: float = 60.0,
        fingerprint_ttl: float = 1.0,
        counts_ttl: float = 10.0,
    ) -> None:
        self.config = config or matching.MatchConfig()
        self.max_age = max_age
        self.fingerprint_ttl = fingerprint_ttl
        self.counts_ttl = counts_ttl
        self._seen_fingerprint: tuple[int, str] | None = None
        self._seen_at = -1e9
        self._counts: tuple[dict[str, int], dict[str, int]] | None = None
        self._counts_key: tuple[float, dt.datetime] = (-1e9, dt.datetime.min.replace(tzinfo=dt.UTC))
        self._lock = threading.Lock()
        self._matcher: matching.Matcher | None = None
        self._by_id: dict[str, matching.Profile] = {}
        self._fingerprint: tuple[int, str] | None = None
        self._built_at = 0.0
        self.builds = 0
        self.last_build_seconds = 0.0

    def invalidate(self) -> None:
        """Forget the matcher (the next `get` rebuilds it)."""
        with self._lock:
            self._matcher = None
            self._fingerprint = None

    def _usable(
        self,
        session: Session,
        fingerprint: tuple[int, str],
        for_id: int | None,
        *,
        fresh: bool,
        current: bool,
    ) -> bool:
        if self._matcher is None:
            return False
        same = fingerprint == self._fingerprint
        if same and (fresh or for_id is None):
            return True
        if not same and (current or time.monotonic() - self._built_at > self.max_age):
            return False
        if for_id is None:
            return True
        own = participants_store.active_profiles(session, participant_ids=[for_id])
        if not own:
            return True  # not matchable anyway
        return self._by_id.get(str(for_id)) == _profile(*own[0])

    def get(self, session: Session, *, for_id: int | None = None, current: bool = False) -> matching.Matcher:
        """The matcher for the current profiles (current for `for_id` in any case; for everyone: `current`).

        The fingerprint is read at most every `fingerprint_ttl` seconds; in between, the asker's own profile
        is compared with the cached one instead (a cheaper query). The weekly digest asks for `current`: it
        pairs everybody, so every profile changed since the last build counts.
        """
        fresh = (
            current
            or time.monotonic() - self._seen_at >= self.fingerprint_ttl
            or self._seen_fingerprint is None
        )
        if fresh:
            self._seen_fingerprint = participants_store.profile_fingerprint(session)
            self._seen_at = time.monotonic()
        fingerprint = self._seen_fingerprint
        assert fingerprint is not None
        with self._lock:
            if self._usable(session, fingerprint, for_id, fresh=fresh, current=current):
                assert self._matcher is not None
                return self._matcher
            # Let go of the old index first, so two of them do not sit in memory side by side.
            self._matcher, self._by_id = None, {}
            started = time.perf_counter()
            matcher = matching.Matcher(load_profiles(session), self.config)
            self.last_build_seconds = time.perf_counter() - started
            self.builds += 1
            self._matcher, self._fingerprint = matcher, fingerprint
            self._by_id = {p.id: p for p in matcher.profiles}
            self._built_at = time.monotonic()
            _release_memory()
            logger.info(
                "matcher rebuilt over %d profiles in %.2fs", len(matcher.profiles), self.last_build_seconds
            )
            return matcher

    def counts(self, session: Session, *, now: dt.datetime) -> tuple[dict[str, int], dict[str, int]]:
        """(incoming suggestions this week, unresponsiveness reports) per person, at most `counts_ttl` old.

        Both are whole-table aggregates; a few seconds of staleness only lets a weekly cap be passed by
        the suggestions made in those seconds.
        """
        read_at, week = self._counts_key
        if self._counts is None or time.monotonic() - read_at >= self.counts_ttl or week != week_start(now):
            incoming = {str(p): n for p, n in store.incoming_since(session, since=week_start(now)).items()}
            reports = {str(p): n for p, n in store.unresponsive_counts(session).items()}
            self._counts = (incoming, reports)
            self._counts_key = (time.monotonic(), week_start(now))
        return self._counts


def _release_memory() -> None:
    """Return the memory a rebuild freed to the operating system (glibc keeps it otherwise)."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


def find_new_suggestions(
    session: Session,
    *,
    participant_id: int,
    cache: MatcherCache,
    limit: int,
    now: dt.datetime,
    expires_at: dt.datetime | None = None,
) -> list[Recorded]:
    """Ask the matcher for up to `limit` new partners for this person and record them (source `matches`).

    New rows expire at `expires_at`; this person's lapsed suggestions are marked expired first, so the
    matcher sees them as expired pairs (cooldown) rather than as open ones.
    """
    if limit <= 0:
        return []
    store.expire_due(session, now=now, participant_id=participant_id)
    matcher = cache.get(session, for_id=participant_id)
    pairs = store.pair_history(session, participant_id=participant_id)
    never = store.never_pairs(session, participant_id=participant_id)
    incoming, reports = cache.counts(session, now=now)
    # No `inactive` set: the cached index holds active people only, and who left since is checked below.
    history = matching.History(
        suggested=frozenset((str(a), str(b)) for a, b in pairs.suggested),
        declined={(str(a), str(b)): when for (a, b), when in pairs.declined.items()},
        expired={(str(a), str(b)): when for (a, b), when in pairs.expired.items()},
        never={str(owner): frozenset(str(o) for o in others) for owner, others in never.items()},
        incoming_this_week=incoming,
        unresponsive_reports=reports,
    )
    try:
        found = matcher.suggest_for(str(participant_id), top_k=limit, history=history, now=now)
    except matching.UnknownParticipantError:
        return []
    # The cache may be older than the database: skip anyone who left or paused since.
    current = {
        p.id
        for p, _ in participants_store.active_profiles(
            session, participant_ids=[int(s.other_id) for s in found]
        )
    }
    found = [s for s in found if int(s.other_id) in current]
    return record_suggestions(session, found, source="matches", week=None, now=now, expires_at=expires_at)


# -- answering ---------------------------------------------------------------------------------------------
def answer_suggestion(
    session: Session,
    *,
    suggestion_id: int,
    participant_id: int,
    answer: AnswerValue | str,
    now: dt.datetime,
    undo: bool = False,
) -> AnswerOutcome:
    """Record one side's answer and apply double opt-in (`undo`: "Ongedaan maken", reopens one's decline).

    yes + yes → introduced (an Introduction row; the caller tells both). no → declined (the other side is
    never told). never → declined and the other person is never suggested again. later → stays open.
    A person may change their answer while the suggestion is open, and undo their own decline.
    Records only: what the answer sets in motion (the introduction to both sides, or the card for a side
    that has not seen the suggestion yet) is `bot.services.introductions.answer`'s.
    """
    answer = AnswerValue(answer)
    store.lock_suggestion(session, suggestion_id=suggestion_id)  # both sides may answer at once
    suggestion = store.get_suggestion(session, suggestion_id=suggestion_id)
    if suggestion is None:
        raise UnknownSuggestion(f"no suggestion {suggestion_id}")
    side = store.side_of(suggestion, participant_id)
    if side is None:
        raise NotASide(f"participant is not a side of suggestion {suggestion_id}")
    other_id = other_side(suggestion, participant_id)
    mine = suggestion.answer_a if side == "a" else suggestion.answer_b
    theirs = suggestion.answer_b if side == "a" else suggestion.answer_a

    if suggestion.status == SuggestionStatus.INTRODUCED:
        return AnswerOutcome(
            suggestion, side, AnswerValue.YES, store.introduction_for(session, suggestion_id=suggestion_id)
        )
    if suggestion.status == SuggestionStatus.DECLINED and mine == AnswerValue.NEVER and not undo:
        raise FinalAnswer(f"suggestion {suggestion_id}: this side said never")
    if suggestion.status == SuggestionStatus.DECLINED and mine in (AnswerValue.NO, AnswerValue.NEVER):
        # Undo of one's own decline, or a changed mind after "no": reopen (the other side never learnt of it).
        if mine == AnswerValue.NEVER:
            store.remove_never(session, participant_id=participant_id, other_id=other_id)
        suggestion.status = SuggestionStatus.PENDING
        suggestion.closed_at = None
    elif suggestion.status != SuggestionStatus.PENDING:
        raise SuggestionClosed(f"suggestion {suggestion_id} is {suggestion.status}")
    elif suggestion.expires_at is not None and suggestion.expires_at <= now:
        suggestion.status = SuggestionStatus.EXPIRED
        suggestion.closed_at = suggestion.expires_at
        session.add(suggestion)
        raise SuggestionClosed(f"suggestion {suggestion_id} expired")

    # An undo takes one's answer back: the suggestion is unanswered again (not "later", which one never said).
    value, at = (None, None) if undo else (answer.value, now)
    if side == "a":
        suggestion.answer_a, suggestion.answered_a_at = value, at
    else:
        suggestion.answer_b, suggestion.answered_b_at = value, at

    introduction: Introduction | None = None
    newly = False
    if answer in (AnswerValue.NO, AnswerValue.NEVER):
        suggestion.status = SuggestionStatus.DECLINED
        suggestion.closed_at = now
        if answer == AnswerValue.NEVER:
            store.add_never(session, participant_id=participant_id, other_id=other_id)
    elif answer == AnswerValue.YES and theirs == AnswerValue.YES:
        suggestion.status = SuggestionStatus.INTRODUCED
        suggestion.closed_at = now
        session.add(suggestion)
        session.flush()
        introduction = store.create_introduction(session, suggestion=suggestion, now=now)
        newly = True
    session.add(suggestion)
    session.flush()
    shown_other = suggestion.shown_b_at if side == "a" else suggestion.shown_a_at
    outcome = AnswerOutcome(
        suggestion,
        side,
        answer,
        introduction,
        newly,
        other_needs_asking=answer == AnswerValue.YES and theirs is None and shown_other is None,
    )
    return outcome


def mark_shown(session: Session, *, suggestion: Suggestion, participant_id: int, now: dt.datetime) -> None:
    """Remember that this side has seen the suggestion."""
    side = store.side_of(suggestion, participant_id)
    if side == "a" and suggestion.shown_a_at is None:
        suggestion.shown_a_at = now
    elif side == "b" and suggestion.shown_b_at is None:
        suggestion.shown_b_at = now
    session.add(suggestion)
