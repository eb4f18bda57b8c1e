"""Organiser moderation: `/participant` (look up, pause, correct a field, erase) and `/introduce`.

Organisers only (`bot.access.organiser_only`). Every `pp:` button names a participant by number; the
service checks on the server that they exist and are in the organiser's scope, and a forged or stale
button is answered with a popup.
"""

from __future__ import annotations

import datetime as dt

from telegram import Update

from bot.access import organiser_only, organiser_scope
from bot.callbacks import CallbackError
from bot.context import KoppelContext
from bot.fields import InputProblem
from bot.handlers.common import answer_query, edit_or_send, now, pressed, send
from bot.moderation_views import (
    choice_keyboard,
    erase_keyboard,
    fix_keyboard,
    participant_keyboard,
    participant_text,
    results_keyboard,
)
from bot.organiser_views import scope_label
from bot.services import db
from bot.services import moderation as service
from bot.texts import language_for, t

__all__ = ["introduce", "participant", "participant_button"]

# `/participant <number> <field> <text>`: the typed corrections, by the words organisers use.
_TEXT_FIELDS = {"naam": "name", "name": "name", "organisatie": "organisation", "organisation": "organisation"}


def _language(update: Update) -> str:
    return language_for(update.effective_user.language_code if update.effective_user else None)


def _nobody(language: str, query: str, scope: service.Scope) -> str:
    """ "Niemand gevonden", and for a scoped organiser where they looked (someone elsewhere is not shown)."""
    return t(language, "moderation.none", query=query) + _scope_note(language, scope)


def _scope_note(language: str, scope: service.Scope) -> str:
    if scope.is_global:
        return ""
    where = scope_label(language, scope.region, scope.event_code)
    return " " + t(language, "moderation.scope_note", scope=where)


@organiser_only
async def participant(update: Update, context: KoppelContext) -> None:
    """`/participant <name | @username | number>`: the card and its buttons (or `N naam X`: a fix)."""
    language = _language(update)
    args = list(context.args or [])
    if not args:
        await send(update, t(language, "moderation.usage"))
        return
    scope = await organiser_scope(update, context)
    if len(args) >= 2 and args[0].removeprefix("#").isdigit() and args[1].lower() in _TEXT_FIELDS:
        await _correct_text(update, context, args, language, scope)
        return
    query = " ".join(args)[:100]
    found = await db.run(context.engine, lambda s: service.find(s, query=query, scope=scope))
    if not found:
        await send(update, _nobody(language, query, scope))
    elif len(found) == 1:
        await send(
            update,
            participant_text(language, found[0], tz=context.settings.tz),
            participant_keyboard(language, found[0]),
        )
    else:
        await send(update, t(language, "moderation.many", query=query), results_keyboard(found))


async def _correct_text(
    update: Update, context: KoppelContext, args: list[str], language: str, scope: service.Scope
) -> None:
    number = int(args[0].removeprefix("#"))
    field = _TEXT_FIELDS[args[1].lower()]
    text = " ".join(args[2:])
    if not text or number > 2**31 - 1:
        await send(update, t(language, "moderation.fix_usage"))
        return
    moment = now(context)
    try:
        card = await db.run(
            context.engine,
            lambda s: service.correct_text(
                s, participant_id=number, scope=scope, field=field, text=text, now=moment
            ),
        )
    except InputProblem as problem:
        await send(update, t(language, problem.key, **problem.values))
        return
    if card is None:
        await send(update, _nobody(language, args[0], scope))
        return
    tz = context.settings.tz
    await send(
        update,
        t(language, "moderation.fixed") + "\n\n" + participant_text(language, card, tz=tz),
        participant_keyboard(language, card),
    )


@organiser_only
async def participant_button(update: Update, context: KoppelContext) -> None:
    """Every `pp:` button: show, pause/resume, correct (field, value), erase (ask, confirm)."""
    found = await pressed(update, "pp")
    if found is None:
        return
    query, data = found
    language = _language(update)
    try:
        action, number = data.args[0], data.int_arg(1)
    except (CallbackError, IndexError):
        await answer_query(query, t(language, "moderation.stale"), alert=True)
        return
    scope = await organiser_scope(update, context)
    tz = context.settings.tz
    moment = now(context)
    engine = context.engine
    card: service.ParticipantCard | None
    if action in ("pause", "resume"):
        paused = action == "pause"
        card = await db.run(
            engine,
            lambda s: service.set_paused(
                s, participant_id=number, scope=scope, paused=paused, now=moment, settings=context.settings
            ),
        )
        if card is not None:
            await answer_query(
                query, t(language, "moderation.paused" if paused else "moderation.resumed", name=card.name)
            )
            await edit_or_send(
                update, participant_text(language, card, tz=tz), participant_keyboard(language, card)
            )
            return
    elif action == "set" and len(data.args) == 4:
        field, code = data.args[2], data.args[3]
        if field == "region" and scope.region is not None and code != scope.region:
            await answer_query(query, t(language, "moderation.region_outside"), alert=True)
            return
        card = await db.run(
            engine,
            lambda s: service.correct_choice(
                s, participant_id=number, scope=scope, field=field, code=code, now=moment
            ),
        )
        if card is not None:
            await answer_query(query, t(language, "moderation.fixed"))
            await edit_or_send(
                update, participant_text(language, card, tz=tz), participant_keyboard(language, card)
            )
            return
    elif action == "delok":
        name = await db.call(
            service.erase, engine, participant_id=number, scope=scope, now=moment, settings=context.settings
        )
        if name is not None:
            await answer_query(query)
            await edit_or_send(update, t(language, "moderation.erased", name=name))
            return
    elif action in ("show", "fix", "f", "del"):
        card = await db.run(engine, lambda s: service.card(s, participant_id=number, scope=scope))
        if card is not None and await _shown(update, action, data.args, card, language, tz):
            return
    await answer_query(query, t(language, "moderation.stale"), alert=True)


async def _shown(
    update: Update,
    action: str,
    args: tuple[str, ...],
    card: service.ParticipantCard,
    language: str,
    tz: dt.tzinfo,
) -> bool:
    """Answer a `show`, `fix`, `f` or `del` press for a participant in reach; False for data not on offer."""
    query = update.callback_query
    assert query is not None
    number = card.participant_id
    if action == "show":
        view = participant_text(language, card, tz=tz), participant_keyboard(language, card)
    elif action == "fix":
        view = t(language, "moderation.fix_ask"), fix_keyboard(language, number)
    elif action == "del":
        view = t(language, "moderation.erase_ask", name=card.name or "?"), erase_keyboard(language, number)
    elif len(args) == 3 and args[2] in ("role", "region", "reach"):
        view = t(language, "moderation.choose"), choice_keyboard(language, number, args[2])
    elif len(args) == 3 and args[2] in ("name", "organisation"):
        word = {"name": "naam", "organisation": "organisatie"}[args[2]] if language == "nl" else args[2]
        await answer_query(query)
        await send(update, t(language, "moderation.fix_text", number=number, field=word))
        return True
    else:
        return False
    await answer_query(query)
    await edit_or_send(update, *view)
    return True


@organiser_only
async def introduce(update: Update, context: KoppelContext) -> None:
    """`/introduce <who> <who>`: propose two people to each other (double opt-in; the card names you)."""
    language = _language(update)
    args = list(context.args or [])
    user = update.effective_user
    if len(args) != 2 or user is None:
        await send(update, t(language, "moderation.introduce_usage"))
        return
    scope = await organiser_scope(update, context)
    moment = now(context)
    expires_at = moment + dt.timedelta(days=context.settings.suggestion_expiry_days)
    organiser = user.first_name or user.full_name or "?"
    outcome = await db.run(
        context.engine,
        lambda s: service.introduce(
            s,
            first=args[0][:100],
            second=args[1][:100],
            scope=scope,
            organiser=organiser,
            expires_at=expires_at,
            now=moment,
        ),
    )
    names = (*outcome.names, "", "")
    text = t(language, outcome.key, first=names[0], second=names[1])
    if outcome.key == "moderation.introduce_not_found":
        text += _scope_note(language, scope)
    await send(update, text)
