"""The organisers' numbers: the funnel as a chart and a caption, started projects, and unmet demand."""

from __future__ import annotations

import base64
import datetime as dt
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

import matching
from bot.keyboards import to_dict
from bot.numbers import count
from bot.organiser_views import region_label, stats_keyboard
from bot.services.charts import funnel_chart
from bot.settings import WEEKDAYS, Settings
from bot.texts import Markup, catalogue, is_plural, region_in, t
from matching.scoring import role_fit
from storage import session_scope
from storage.engagement import finish_job_run
from storage.organisers import organiser_ids, organiser_scope, organisers_with_chat
from storage.outbox import enqueue
from storage.scope import Scope
from storage.stats import (
    STAGES,
    DemandItem,
    FunnelReport,
    ProjectLine,
    claim_run,
    flagged_introductions,
    funnel_report,
    parked_messages,
    participant_languages,
)

logger = logging.getLogger(__name__)

__all__ = [
    "UnmetNeed",
    "render_funnel_chart",
    "render_projects",
    "render_stats_caption",
    "render_unmet",
    "send_weekly_summary",
    "could_offer_segment",
    "matched_people",
    "needs_with_partner",
    "unmet_demand",
]

MAX_CAPTION = 1024
MAX_TEXT = 4096


def stage_labels(language: str) -> list[str]:
    """The funnel stages' names in the language."""
    return [catalogue(language).get(f"stats.stage.{stage}", stage) for stage in STAGES]


def render_funnel_chart(report: FunnelReport, language: str) -> bytes:
    """The funnel chart as PNG bytes."""
    return funnel_chart(
        title=t(language, "stats.chart_title"),
        stage_labels=stage_labels(language),
        overall=report.overall.as_tuple(),
        by_region={region_label(language, r): f.as_tuple() for r, f in report.by_region.items()},
        region_title=t(language, "stats.chart_regions"),
        language=language,
    )


def render_stats_caption(report: FunnelReport, language: str, *, weekly: bool = False) -> str:
    """The numbers under the chart: the whole funnel, then one line per region (within 1024 characters)."""
    labels = stage_labels(language)
    overall = report.overall.as_tuple()
    lines = [t(language, "stats.weekly_title" if weekly else "stats.caption_title")]
    shares = (None, *report.overall.conversions())
    for label, value, share in zip(labels, overall, shares, strict=True):
        line = f"{label}: <b>{count(value, language)}</b>"
        if share is not None:
            line += f" ({round(share * 100)}%)"
        lines.append(line)
    region_lines = []
    for region, funnel in report.by_region.items():
        region_lines.append(
            t(
                language,
                "stats.caption_region",
                region=region_label(language, region),
                participants=count(funnel.participants, language),
                suggested=count(funnel.suggested, language),
                introduced=count(funnel.introduced, language),
                projects=count(funnel.projects, language),
            )
        )
    if region_lines:
        lines += ["", t(language, "stats.caption_regions"), *region_lines]
    caption = "\n".join(lines)
    while len(caption) > MAX_CAPTION and region_lines:
        region_lines.pop()
        caption = "\n".join([*lines[: len(lines) - len(report.by_region)], *region_lines, "…"])
    return caption


def render_projects(projects: list[ProjectLine], language: str) -> str:
    """The started projects with their one-line descriptions (escaped), within one message."""
    if not projects:
        return t(language, "stats.no_projects")
    lines = [t(language, "stats.projects_title", count=count(len(projects), language))]
    for project in projects:
        sides = " × ".join(o for o in (project.organisation_a, project.organisation_b) if o)
        description = project.description or t(language, "stats.no_description")
        line = t(language, "stats.project_line", description=description[:300], sides=sides or "—")
        if len("\n".join([*lines, line])) > MAX_TEXT - 10:
            lines.append("…")
            break
        lines.append(line)
    return "\n".join(lines)


@dataclass(frozen=True)
class UnmetNeed:
    """Needs for which the matcher finds no partner, grouped by region and normalised phrase."""

    region: str
    normalised: str
    text: str  # the most common wording
    roles: tuple[str, ...]  # one per participant with this need
    item_id: int  # a representative profile item (for the broadcast button)
    askers: tuple[int, ...] = ()  # the participants with this need

    @property
    def count(self) -> int:
        return len(self.roles)


def needs_with_partner(matcher: matching.Matcher, items: list[DemandItem]) -> set[int]:
    """The need items (ids) for which the matcher finds a partner (`Matcher.needs_with_partner`).

    A need has a partner when a pair the matcher may suggest (its rules: reach, organisation, minimum
    score; profiles only, so a partner suggested before still counts) holds an offer matching it or a
    need that is its counterpart (interns against an internship place).
    """
    answered_positions = matcher.needs_with_partner()
    needs_of = {profile.id: profile.needs for profile in matcher.profiles}
    answered: set[int] = set()
    for item in items:
        if item.kind != "need":
            continue
        key = str(item.participant_id)
        texts = {needs_of[key][k] for k in answered_positions.get(key, ()) if k < len(needs_of.get(key, ()))}
        if item.text in texts:
            answered.add(item.item_id)
    return answered


def matched_people(matcher: matching.Matcher) -> set[int]:
    """The participants the matcher works with (active, finished profile)."""
    return {int(profile.id) for profile in matcher.profiles}


def unmet_demand(items: list[DemandItem], *, answered: set[int], matched: set[int]) -> list[UnmetNeed]:
    """Needs of matched people that the matcher finds no partner for, by region and phrase, biggest first.

    `answered`: the need items with a partner (`needs_with_partner`); `matched`: the people the matcher
    works with (others are not matched at all, so their needs say nothing about supply).
    """
    groups: dict[tuple[str, str], list[DemandItem]] = defaultdict(list)
    for item in items:
        if item.kind != "need" or item.item_id in answered or item.participant_id not in matched:
            continue
        groups[(item.region, item.normalised or item.text.casefold())].append(item)
    needs = []
    for (region, normalised), members in groups.items():
        by_person = {m.participant_id: m for m in members}
        wording = Counter(m.text.strip() for m in members).most_common(1)[0][0]
        needs.append(
            UnmetNeed(
                region=region,
                normalised=normalised,
                text=wording,
                roles=tuple(m.role for m in by_person.values()),
                item_id=members[0].item_id,
                askers=tuple(by_person),
            )
        )
    needs.sort(key=lambda n: (-n.count, n.region, n.normalised))
    return needs


def fitting_roles(roles: tuple[str, ...]) -> list[str]:
    """The roles that work best with the askers' most common role (the matcher's role fit, within 0.1)."""
    role = Counter(roles).most_common(1)[0][0] if roles else "other"
    others = [r for r in matching.ROLES if r != "other"]
    fit = {other: role_fit(role, other) for other in others}
    best = max(fit.values())
    return [other for other in others if fit[other] >= best - 0.1]


def could_offer_segment(need: UnmetNeed) -> dict[str, Any]:
    """The broadcast segment for an unmet need: people who could offer it, in every region.

    Those whose role fits the askers best, and those with an offer sharing one of the need's words; the askers
    themselves are left out.
    """
    return {
        "could_offer": {
            "roles": fitting_roles(need.roles),
            "terms": need.normalised.split(),
            "askers": list(need.askers),
            "need": need.text[:100],
        }
    }


def who(need: UnmetNeed, language: str) -> str:
    """ "3 scholen" or "2 deelnemers" (mixed roles)."""
    roles = set(need.roles)
    noun = f"role.{roles.pop()}" if len(roles) == 1 else "participants"
    if not is_plural(f"count.{noun}", language):
        noun = "participants"
    return t(language, f"count.{noun}", count=need.count)


def render_unmet(needs: list[UnmetNeed], language: str, *, limit: int = 10) -> str:
    """The unmet-demand report: "3 scholen in de Achterhoek zoeken: gastlessen", numbered like the buttons."""
    if not needs:
        return t(language, "stats.unmet_none")
    lines = [t(language, "stats.unmet_title")]
    for number, need in enumerate(needs[:limit], start=1):
        lines.append(
            f"{number}. "
            + t(
                language,
                "stats.unmet_line",
                count=need.count,
                who=Markup(who(need, language)),
                region=region_in(language, need.region),
                need=need.text[:200],
            )
        )
    if len(needs) > limit:
        lines.append(t(language, "stats.unmet_more", count=len(needs) - limit))
    lines.append(t(language, "stats.unmet_hint"))
    return "\n".join(lines)


def unmet_broadcast_text(need: UnmetNeed, language: str) -> str:
    """The prefilled text of a targeted broadcast for one unmet need (HTML)."""
    return t(
        language,
        "stats.unmet_broadcast",
        count=need.count,
        who=Markup(who(need, language)),
        region=region_in(language, need.region),
        need=need.text[:200],
    )


# -- the organisers' weekly summary -------------------------------------------------------------------
def planned_moment(settings: Settings, now: dt.datetime) -> tuple[str, dt.datetime]:
    """(ISO week key, the moment this week's summary is due, in UTC) for `now`: DIGEST_DAY at DIGEST_TIME."""
    local = now.astimezone(settings.tz)
    year, week, weekday = local.isocalendar()
    monday = local.date() - dt.timedelta(days=weekday - 1)
    day = monday + dt.timedelta(days=WEEKDAYS.index(settings.digest_day))
    planned = dt.datetime.combine(day, settings.digest_time, tzinfo=settings.tz)
    return f"{year}-W{week:02d}", planned.astimezone(dt.UTC)


def send_weekly_summary(engine: Engine, settings: Settings, *, now: dt.datetime) -> int:
    """Queue this week's summary (chart + numbers) to every organiser when due; returns how many were queued.

    Due from DIGEST_DAY/DIGEST_TIME for DIGEST_GRACE_HOURS (a bot that was down catches up); the JobRun claim
    `organiser-summary:<week>` and the outbox dedupe keys make it once a week across processes.
    """
    week, planned = planned_moment(settings, now)
    if now < planned or now - planned > dt.timedelta(hours=settings.digest_grace_hours):
        return 0
    with session_scope(engine) as session:
        if not claim_run(session, key=f"organiser-summary:{week}", now=now):
            return 0
        # Only to organisers whose chat exists: Telegram answers "chat not found" to one who never started
        # the bot. Theirs comes with the first summary after they did.
        every = organiser_ids(session, configured=settings.organiser_ids)
        reachable = organisers_with_chat(session, telegram_ids=every)
        ids = [telegram_id for telegram_id in every if telegram_id in reachable]
        languages = participant_languages(session, telegram_ids=ids)
        # Each organiser's own scope: a regional coordinator's summary counts their region only.
        numbers: dict[Scope, tuple[FunnelReport, int, int]] = {}
        charts: dict[tuple[Scope, str], str] = {}
        queued = 0
        for telegram_id in ids:
            language = languages.get(telegram_id, settings.default_language)
            scope = organiser_scope(session, telegram_id=telegram_id, configured=settings.organiser_ids)
            scope = scope if scope is not None else Scope.everything()
            if scope not in numbers:
                numbers[scope] = (
                    funnel_report(session, scope=scope),
                    parked_messages(session, limit=0, scope=scope)[0],
                    flagged_introductions(session, scope=scope, limit=0)[0],
                )
            report, parked, flagged = numbers[scope]
            if (scope, language) not in charts:
                charts[scope, language] = base64.b64encode(render_funnel_chart(report, language)).decode()
            caption = render_stats_caption(report, language, weekly=True)
            if flagged:
                caption += "\n\n" + t(language, "organiser.weekly_flagged", count=flagged)
            row = enqueue(
                session,
                dedupe_key=f"organiser-summary:{week}:{telegram_id}",
                chat_id=telegram_id,
                kind="stats",
                method="sendPhoto",
                text=caption,
                reply_markup=to_dict(stats_keyboard(language, parked)),
                extra={"photo_b64": charts[scope, language], "filename": f"koppelbot-{week}.png"},
            )
            queued += row is not None
        finish_job_run(session, key=f"organiser-summary:{week}", now=now, details={"queued": queued})
    logger.info("weekly organiser summary %s queued for %d organisers", week, queued)
    return queued
