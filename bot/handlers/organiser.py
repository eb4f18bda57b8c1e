"""Organiser commands: who organises, the numbers (/stats, unmet demand), exports, invitations, the outbox.

Every command and button here is for organisers only (`bot.access.organiser_only`); their command menu is
set per organiser chat from `bot.commands`. Broadcasts live in `organiser_broadcast`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import logging

import qrcode
from qrcode.image.pil import PilImage
from telegram import Update

from bot.access import organiser_only, organiser_scope
from bot.callbacks import CallbackError, unpack
from bot.commands import remove_organiser_menu, set_organiser_menu
from bot.context import KoppelContext
from bot.handlers.common import refuse, refuse_unreadable
from bot.handlers.organiser_broadcast import draft_text, start_prefilled_draft
from bot.keyboards import remove_reply_keyboard, to_markup, user_picker
from bot.organiser_views import (
    bad_scope_text,
    event_line,
    flagged_text,
    organiser_line,
    outbox_keyboard,
    outbox_line,
    person_label,
    scope_label,
    stats_keyboard,
    unmet_keyboard,
    week_label,
)
from bot.services import db, digest
from bot.services import events as event_service
from bot.services import organisers as organiser_service
from bot.services import stats as stats_service
from bot.services.exports import export_xlsx
from bot.texts import Counted, language_for, t

__all__ = [
    "digest_now",
    "event",
    "export",
    "invite",
    "organiser_shared",
    "organiser_text",
    "organisers",
    "outbox",
    "outbox_button",
    "stats",
    "stats_button",
    "unmet",
    "unmet_button",
]

logger = logging.getLogger(__name__)


def _language(update: Update) -> str:
    return language_for(update.effective_user.language_code if update.effective_user else None)


# -- /organisers ------------------------------------------------------------------------------------
@organiser_only
async def organisers(update: Update, context: KoppelContext) -> None:
    """List organisers, or add / remove one: `/organisers add @username|id [regio] [event]`, or the picker."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    language = _language(update)
    args = list(context.args or [])
    configured = context.settings.organiser_ids
    if not args:
        lines = await db.run(context.engine, lambda s: organiser_service.listing(s, configured=configured))
        shown = [t(language, "organiser.list_title")]
        shown += [
            organiser_line(
                language,
                telegram_id=line.telegram_id,
                name=line.name,
                username=line.username,
                region=line.scope.region,
                event_code=line.scope.event_code,
                configured=line.configured,
            )
            for line in lines
        ]
        shown.append(t(language, "organiser.list_hint"))
        await message.reply_text("\n".join(shown))
        return
    action = args[0].lower()
    if action in ("add", "remove") and not (await organiser_scope(update, context)).is_global:
        # Who may see personal data is decided by an organiser for all regions and events.
        await message.reply_text(t(language, "organiser.organisers_global_only"))
        return
    if action == "add":
        await _add(update, context, args[1:], language)
        return
    target = _telegram_id(args[1]) if len(args) == 2 else None
    if action != "remove" or target is None:
        await message.reply_text(t(language, "organiser.usage"))
        return
    if target in configured:
        await message.reply_text(t(language, "organiser.configured_cannot_remove", telegram_id=target))
        return
    mine = await organiser_scope(update, context)
    allowed = await db.run(
        context.engine,
        lambda s: organiser_service.may_remove(s, mine=mine, telegram_id=target, configured=configured),
    )
    if not allowed:
        await message.reply_text(t(language, "organiser.scope_not_yours"))
        return
    removed = await db.run(context.engine, lambda s: organiser_service.remove(s, telegram_id=target))
    if removed:
        await remove_organiser_menu(context.bot, target)
    await message.reply_text(
        t(language, "organiser.removed" if removed else "organiser.not_found", telegram_id=target)
    )


async def _add(update: Update, context: KoppelContext, words: list[str], language: str) -> None:
    """`add @username [regio] [event]`, `add <id> [regio] [event]`, or `add [regio] [event]`: the picker."""
    message = update.effective_message
    if message is None:
        return
    first = words[0] if words else ""
    by_name, by_id = first.startswith("@"), _telegram_id(first) is not None
    scope_words = words[1:] if by_name or by_id else words
    wanted = await db.run(context.engine, lambda s: organiser_service.parse_scope(s, words=scope_words))
    if wanted is None:
        await message.reply_text(bad_scope_text(language, scope_words))
        return
    scope = organiser_service.within(await organiser_scope(update, context), wanted)
    if scope is None:
        await message.reply_text(t(language, "organiser.scope_not_yours"))
        return
    if by_name:
        found = await db.run(context.engine, lambda s: organiser_service.find_by_username(s, username=first))
        if found is None:
            await message.reply_text(t(language, "organiser.unknown_username", username=first))
            return
        target = found
    elif by_id:
        target = organiser_service.Target(_telegram_id(first) or 0)
    else:  # no person named: Telegram's user picker, the scope carried in its request_id
        request_id = await db.run(
            context.engine, lambda s: organiser_service.picker_request_id(s, scope=scope)
        )
        await message.reply_text(
            t(language, "organiser.pick_prompt", scope=scope_label(language, scope.region, scope.event_code)),
            reply_markup=user_picker(t(language, "organiser.pick_button"), request_id),
        )
        return
    await _make_organiser(update, context, target, scope, language)


@organiser_only
async def organiser_shared(update: Update, context: KoppelContext) -> None:
    """The user picker's answer (`users_shared`): make the chosen person an organiser with the asked scope."""
    message = update.effective_message
    shared = message.users_shared if message is not None else None
    if message is None or shared is None or not shared.users:
        return
    language = _language(update)
    request_id = shared.request_id
    wanted = await db.run(context.engine, lambda s: organiser_service.picker_scope(s, request_id=request_id))
    scope = (
        organiser_service.within(await organiser_scope(update, context), wanted)
        if wanted is not None
        else None
    )
    if scope is None:  # a request the bot never made, or a scope this organiser may not give
        await message.reply_text(
            t(language, "organiser.scope_not_yours"), reply_markup=remove_reply_keyboard()
        )
        return
    person = shared.users[0]
    name = " ".join(part for part in (person.first_name, person.last_name) if part) or None
    target = organiser_service.Target(person.user_id, name, person.username)
    await _make_organiser(update, context, target, scope, language)


async def _make_organiser(
    update: Update,
    context: KoppelContext,
    target: organiser_service.Target,
    scope: organiser_service.Scope,
    language: str,
) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    configured = context.settings.organiser_ids
    who = person_label(target.name, target.username, target.telegram_id)
    if target.telegram_id in configured:
        await message.reply_text(
            t(language, "organiser.already", telegram_id=who), reply_markup=remove_reply_keyboard()
        )
        return
    added = await db.run(
        context.engine,
        lambda s: organiser_service.add(
            s,
            telegram_id=target.telegram_id,
            added_by=user.id,
            scope=scope,
            name=target.name,
            username=target.username,
        ),
    )
    label = scope_label(language, scope.region, scope.event_code)
    if not added:
        await message.reply_text(
            t(language, "organiser.scope_changed", who=who, scope=label), reply_markup=remove_reply_keyboard()
        )
        return
    menu = await set_organiser_menu(context.bot, target.telegram_id)
    key = "organiser.added_who" if menu else "organiser.added_who_no_chat"
    await message.reply_text(t(language, key, who=who, scope=label), reply_markup=remove_reply_keyboard())


def _telegram_id(text: str) -> int | None:
    try:
        value = int(text)
    except ValueError:
        return None
    return value if 0 < value < 2**53 else None


async def _event_scope(
    update: Update, context: KoppelContext, language: str
) -> tuple[organiser_service.Scope, str | None] | None:
    """The organiser's scope, narrowed to the event named in the command (`/stats CODE`); None: refused."""
    scope = await organiser_scope(update, context)
    code = context.args[0] if context.args else None
    if code is None:
        return scope, None
    found = await db.run(context.engine, lambda s: organiser_service.event_scope(s, scope=scope, code=code))
    if found is None:
        if update.effective_message is not None:
            await update.effective_message.reply_text(t(language, "invite.unknown_event", code=code))
        return None
    return found


# -- /stats -----------------------------------------------------------------------------------------
@organiser_only
async def stats(update: Update, context: KoppelContext) -> None:
    """The funnel as a chart with the numbers in the caption, then the started projects: `/stats [event]`."""
    message = update.effective_message
    if message is None:
        return
    language = _language(update)
    narrowed = await _event_scope(update, context, language)
    if narrowed is None:
        return
    scope, event_name = narrowed
    snapshot = await db.run(context.engine, lambda s: organiser_service.stats_snapshot(s, scope=scope))
    chart = await asyncio.to_thread(stats_service.render_funnel_chart, snapshot.report, language)
    caption = stats_service.render_stats_caption(snapshot.report, language)
    if event_name is not None:
        caption = t(language, "stats.caption_event", event=event_name) + "\n" + caption
    await message.reply_photo(
        photo=chart,
        caption=caption,
        reply_markup=to_markup(stats_keyboard(language, snapshot.parked)),
    )
    projects = stats_service.render_projects(snapshot.projects, language)
    if snapshot.flagged:  # introductions a side flagged for the coordinator: in the same message
        flagged = flagged_text(language, snapshot.flagged, list(snapshot.flagged_lines))
        projects = f"{flagged}\n\n{projects}" if len(flagged) + len(projects) < 4000 else flagged
    await message.reply_text(projects)


@organiser_only
async def stats_button(update: Update, context: KoppelContext) -> None:
    """Buttons under /stats: unmet demand, parked messages."""
    query = update.callback_query
    if query is None:
        return
    try:
        action = unpack(query.data, prefix="st").args[0]
    except (CallbackError, IndexError):
        action = ""
    if action not in ("unmet", "outbox"):
        await refuse_unreadable(query)
        return
    await query.answer()
    if action == "unmet":
        await _send_unmet(update, context)
    elif action == "outbox":
        await _send_outbox(update, context)


# -- unmet demand -----------------------------------------------------------------------------------
async def _send_unmet(update: Update, context: KoppelContext) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    language = _language(update)
    needs = await _unmet_needs(update, context)
    await context.bot.send_message(
        chat.id,
        stats_service.render_unmet(needs, language),
        reply_markup=to_markup(unmet_keyboard(language, [need.item_id for need in needs])),
    )


async def _unmet_needs(update: Update, context: KoppelContext) -> list[stats_service.UnmetNeed]:
    """The needs of the organiser's people the matcher finds no partner for (anywhere: a need someone
    elsewhere offers is not unmet); a forged item id outside the scope is not among them."""
    data = context.bot_data
    scope = await organiser_scope(update, context)
    # On the matcher's own worker thread: the matcher may need a rebuild.
    return await db.run(
        context.engine,
        lambda s: organiser_service.unmet_needs(s, matcher=data.matcher, scope=scope),
        executor=data.match_executor,
    )


@organiser_only
async def unmet(update: Update, context: KoppelContext) -> None:
    """Needs the matcher finds no partner for, by region and phrase, each with a one-tap broadcast."""
    await _send_unmet(update, context)


@organiser_only
async def unmet_button(update: Update, context: KoppelContext) -> None:
    """`ud:<item>`: start a broadcast draft for one unmet need (segment and text prefilled)."""
    query = update.callback_query
    if query is None or update.effective_user is None:
        return
    language = _language(update)
    try:
        item_id = unpack(query.data, prefix="ud").int_arg(0)
    except CallbackError:
        await refuse_unreadable(query)
        return
    needs = await _unmet_needs(update, context)
    need = next((n for n in needs if n.item_id == item_id), None)
    if need is None:
        await refuse(query, t(language, "stats.unmet_gone"))
        return
    await query.answer()
    await start_prefilled_draft(
        update,
        context,
        text=stats_service.unmet_broadcast_text(need, language),
        segment=stats_service.could_offer_segment(need),
    )


# -- /export ----------------------------------------------------------------------------------------
@organiser_only
async def export(update: Update, context: KoppelContext) -> None:
    """Participants (with consent), suggestions, introductions and projects as an Excel workbook:
    `/export [event]`."""
    message = update.effective_message
    if message is None:
        return
    language = _language(update)
    narrowed = await _event_scope(update, context, language)
    if narrowed is None:
        return
    scope = narrowed[0]
    data = await db.run(context.engine, lambda s: organiser_service.everything(s, scope=scope))
    content = await asyncio.to_thread(export_xlsx, data, tz=context.settings.tz, language=language)
    today = dt.datetime.now(context.settings.tz).date().isoformat()
    suffix = f"-{scope.event_code}" if context.args and scope.event_code else ""
    await message.reply_document(
        document=content,
        filename=f"koppelbot-export{suffix}-{today}.xlsx",
        caption=t(
            language,
            "export.workbook_caption",
            participants=Counted("participants", len(data.participants)),
            suggestions=Counted("suggestions", len(data.suggestions)),
            introductions=Counted("introductions", len(data.introductions)),
            projects=Counted("projects", len(data.projects)),
        ),
    )


# -- /invite [event code] ---------------------------------------------------------------------------
def qr_png(link: str) -> bytes:
    """A QR code of `link` as PNG bytes (big enough for a slide)."""
    image = qrcode.make(link, image_factory=PilImage, box_size=12, border=4)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


@organiser_only
async def invite(update: Update, context: KoppelContext) -> None:
    """An event-wide invitation link and its QR code (for a slide): `/invite [event code]`."""
    message = update.effective_message
    if message is None:
        return
    language = _language(update)
    code = context.args[0] if context.args else None
    if code is not None and (len(code) > 64 or not code.replace("-", "").replace("_", "").isalnum()):
        await message.reply_text(t(language, "invite.bad_code"))
        return
    scope = await organiser_scope(update, context)
    if scope.event_code is not None:  # an event's organiser invites to their own event only
        if code is not None and code != scope.event_code:
            await message.reply_text(t(language, "invite.not_your_event", event=scope.event_code))
            return
        code = scope.event_code
    ttl = dt.timedelta(days=context.settings.invite_ttl_days)
    username = context.bot.username
    found = await db.run(
        context.engine, lambda s: organiser_service.event_link(s, bot_username=username, code=code, ttl=ttl)
    )
    if found is None:
        await message.reply_text(t(language, "invite.unknown_event", code=code or ""))
        return
    picture = await asyncio.to_thread(qr_png, found.link)
    tz = context.settings.tz
    expires = found.expires_at.astimezone(tz).strftime("%d-%m-%Y") if found.expires_at else "—"
    key = "invite.event_caption" if found.event_name else "invite.general_caption"
    await message.reply_photo(
        photo=picture,
        caption=t(language, key, link=found.link, event=found.event_name or "", expires=expires),
    )


# -- /event: events with names and dates --------------------------------------------------------------
@organiser_only
async def event(update: Update, context: KoppelContext) -> None:
    """`/event`: the events (code, name, date, participants); `/event new`: make one (code, name, date)."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    language = _language(update)
    args = [arg.lower() for arg in context.args or []]
    if args == ["new"]:
        await db.run(context.engine, lambda s: event_service.start_new(s, telegram_id=user.id))
        await message.reply_text(t(language, "event.ask_code"))
        return
    if args:
        await message.reply_text(t(language, "event.usage"))
        return
    scope = await organiser_scope(update, context)
    lines = await db.run(context.engine, lambda s: event_service.listing(s, scope=scope))
    label = scope_label(language, scope.region, scope.event_code)
    scoped = "" if scope.is_global else "_scoped"  # a scoped organiser's list says whose people it counts
    if not lines:
        await message.reply_text(t(language, f"event.none{scoped}", scope=label))
        return
    shown = [t(language, f"event.list_title{scoped}", scope=label)]
    shown += [
        event_line(
            language, code=line.code, name=line.name, held_on=line.held_on, participants=line.participants
        )
        for line in lines
    ]
    await message.reply_text("\n".join(shown))


async def organiser_text(update: Update, context: KoppelContext) -> None:
    """An organiser's text while a step waits for it: `/event new`'s answer, else the broadcast draft's."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None or message.text is None:
        return
    text = message.text
    turn = await db.run(context.engine, lambda s: event_service.take_text(s, telegram_id=user.id, text=text))
    if turn is None:
        await draft_text(update, context)
        return
    await message.reply_text(t(_language(update), turn.key, **turn.values))


# -- /outbox: parked messages -----------------------------------------------------------------------
async def _send_outbox(update: Update, context: KoppelContext) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    language = _language(update)
    scope = await organiser_scope(update, context)
    total, rows = await db.run(context.engine, lambda s: organiser_service.parked(s, limit=10, scope=scope))
    if not total:
        await context.bot.send_message(chat.id, t(language, "organiser.outbox_empty"))
        return
    lines = [t(language, "organiser.outbox_title", count=total)]
    for row in rows:
        lines.append(
            outbox_line(
                language,
                outbox_id=row.outbox_id,
                kind=row.kind,
                recipient=row.recipient,
                attempts=row.attempts,
                error=row.last_error,
            )
        )
    await context.bot.send_message(
        chat.id, "\n".join(lines), reply_markup=to_markup(outbox_keyboard(language))
    )


@organiser_only
async def outbox(update: Update, context: KoppelContext) -> None:
    """Messages that failed too often ("parked"), with a button to try them again."""
    await _send_outbox(update, context)


@organiser_only
async def outbox_button(update: Update, context: KoppelContext) -> None:
    """`org:retry`: put every parked message back in the queue."""
    query = update.callback_query
    if query is None:
        return
    try:
        action = unpack(query.data, prefix="org").args[0]
    except (CallbackError, IndexError):
        action = ""
    if action != "retry":
        await refuse_unreadable(query)
        return
    await query.answer()
    language = _language(update)
    scope = await organiser_scope(update, context)
    retried = await db.run(context.engine, lambda s: organiser_service.retry_parked(s, scope=scope))
    key = "organiser.outbox_retried" if retried else "organiser.outbox_empty"  # a second press: none left
    await query.edit_message_text(t(language, key, count=retried) if retried else t(language, key))


# -- /digest_now ------------------------------------------------------------------------------------
@organiser_only
async def digest_now(update: Update, context: KoppelContext) -> None:
    """Run the weekly digest now (e.g. the day after an event); nobody gets two digests in one week."""
    message = update.effective_message
    if message is None:
        return
    language = _language(update)
    if not (await organiser_scope(update, context)).is_global:  # it reaches everyone: global organisers only
        await message.reply_text(t(language, "organiser.global_only"))
        return
    await message.reply_text(t(language, "organiser.digest_running"))
    report = await db.call(
        digest.run_digest,
        context.engine,
        settings=context.settings,
        now=context.clock.now(),
        force=True,
        owner="digest_now",
        matcher=context.bot_data.matcher,
    )
    await message.reply_text(
        t(
            language,
            "organiser.digest_done",
            week=week_label(language, report.week),
            recipients=Counted("participants", report.recipients),
            suggestions=Counted("new_suggestions", report.new_suggestions),
            queued=Counted("messages", report.messages),
            skipped=Counted("participants", report.already_had_digest),
        )
    )
