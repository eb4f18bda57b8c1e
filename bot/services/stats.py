"""The organisers' numbers: the funnel as a chart and a caption, started projects, and unmet demand."""

from __future__ import annotations

import base64
import datetime as dt
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from bot.keyboards import to_dict
from bot.numbers import count
from bot.organiser_views import region_label, stats_keyboard
from bot.services.charts import funnel_chart
from bot.settings import WEEKDAYS, Settings
from bot.texts import Markup, catalogue, is_plural, region_in, t
from storage import session_scope
from storage.engagement import finish_job_run
from storage.organisers import organiser_ids, organiser_scope
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
    "MATCH_SHARE",
    "UnmetNeed",
    "render_funnel_chart",
    "render_projects",
    "render_stats_caption",
    "render_unmet",
    "send_weekly_summary",
    "unmet_demand",
]

# A need counts as answered when one offer of someone else holds at least this share of its terms.
MATCH_SHARE = 0.5
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
    )


def render_stats_caption(report: FunnelReport, language: str, *, weekly: bool = False) -> str:
    """The numbers under the chart: the whole funnel, then one line per region (within 1024 characters)."""
    labels = stage_labels(language)
    overall = report.overall.as_tuple()
    lines = [t(language, "stats.weekly_title" if weekly else "stats.caption_title")]
    lines += [
        f"{label}: <b>{count(value, language)}</b>" for label, value in zip(labels, overall, strict=True)
    ]
    region_lines = []
    for region, funnel in report.by_region.items():
        region_lines.append(
            t(
                language,
                "stats.caption_region",
                region=region_label(language, region),
                participants=count(funnel.participants, language),
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
    """Needs with no matching offer, grouped by region and normalised phrase."""

    region: str
    normalised: str
    text: str  # the most common wording
    roles: tuple[str, ...]  # one per participant with this need
    item_id: int  # a representative profile item (for the broadcast button)

    @property
    def count(self) -> int:
        return len(self.roles)


def unmet_demand(items: list[DemandItem]) -> list[UnmetNeed]:
    """Needs that no offer of another participant answers, by region and theme, biggest first.

    Uses the matching engine's normalised forms: a need is answered when some other participant's offer
    holds at least MATCH_SHARE of the need's terms.
    """
    offers_by_term: dict[str, list[tuple[int, frozenset[str]]]] = defaultdict(list)
    for item in items:
        if item.kind == "offer":
            terms = frozenset(item.normalised.split())
            for term in terms:
                offers_by_term[term].append((item.participant_id, terms))
    groups: dict[tuple[str, str], list[DemandItem]] = defaultdict(list)
    for item in items:
        if item.kind != "need":
            continue
        terms = frozenset(item.normalised.split())
        if not terms:
            continue
        candidates = {
            offer_terms
            for term in terms
            for owner, offer_terms in offers_by_term.get(term, ())
            if owner != item.participant_id
        }
        if any(len(terms & offer) / len(terms) >= MATCH_SHARE for offer in candidates):
            continue
        groups[(item.region, item.normalised)].append(item)
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
            )
        )
    needs.sort(key=lambda n: (-n.count, n.region, n.normalised))
    return needs


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
        ids = organiser_ids(session, configured=settings.organiser_ids)
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
