"""The person's own account: /help, /language, /pause, /resume, /cancel, /privacy, /mydata, /delete, and the
friendly answers to unknown commands and old buttons."""

from __future__ import annotations

import io
import json
import logging

from telegram import Update

from bot.access import is_organiser
from bot.callbacks import CallbackError, pack, unpack
from bot.commands import Audience, guess, help_text, set_chat_menu
from bot.context import KoppelContext
from bot.handlers.common import (
    CHOSEN_LANGUAGE,
    answer_query,
    drop_buttons,
    edit_or_send,
    now,
    person_of,
    refuse,
    refuse_unreadable,
    send,
    send_views,
    with_chosen_language,
)
from bot.handlers.start import welcome
from bot.keyboards import Button
from bot.services import account, db, participants
from bot.services.participants import Person
from bot.texts import LANGUAGES, Counted, t
from bot.views import language_keyboard, language_name

__all__ = [
    "cancel",
    "delete",
    "delete_button",
    "help_command",
    "language",
    "language_button",
    "mydata",
    "pause",
    "privacy",
    "resume",
    "unknown_button",
    "unknown_command",
]

logger = logging.getLogger(__name__)


async def _language(update: Update, context: KoppelContext) -> tuple[Person | None, str]:
    person = person_of(update)
    if person is None:
        return None, "nl"
    person = with_chosen_language(person, context)
    return person, await db.run(context.engine, lambda s: account.language(s, person=person))


async def help_command(update: Update, context: KoppelContext) -> None:
    """Every command with one line each."""
    person, language = await _language(update, context)
    organiser = person is not None and await is_organiser(context, person.telegram_id)
    await send(update, help_text(language, organiser=organiser))


async def language(update: Update, context: KoppelContext) -> None:
    """Say which language is in use now and offer Nederlands and English (the current one ticked)."""
    _, current = await _language(update, context)
    text = t(current, "account.language_current", language=language_name(current))
    await send(update, text + "\n" + t(current, "account.language_ask"), language_keyboard(current))


async def language_button(update: Update, context: KoppelContext) -> None:
    """`lang:<code>[:<invitation>]`: switch the language (before consent: only this conversation, nothing
    stored, then the consent question in it). The chat's command menu follows the choice."""
    query = update.callback_query
    person = person_of(update)
    if query is None or person is None or update.effective_chat is None:
        return
    try:
        args = unpack(query.data, prefix="lang").args
    except CallbackError:
        args = ()
    code = args[0] if args else ""
    if code not in LANGUAGES:
        await refuse_unreadable(query)
        return
    token = args[1] if len(args) > 1 else None
    await answer_query(query)
    views = await db.run(context.engine, lambda s: account.switch_language(s, person=person, language=code))
    await drop_buttons(update)
    organiser = await is_organiser(context, person.telegram_id)
    await set_chat_menu(context.bot, update.effective_chat.id, code, organiser=organiser)
    if views is None:
        if context.chat_data is not None:
            context.chat_data[CHOSEN_LANGUAGE] = code
        await welcome(update, code, token, context)
        return
    await send(update, t(code, "account.language_set"))
    await send_views(update, views)


async def pause(update: Update, context: KoppelContext) -> None:
    """No new suggestions, digests or nudges until /resume; nothing answered or open is lost."""
    person, moment = person_of(update), now(context)
    if person is None:
        return
    lang, key = await db.run(context.engine, lambda s: account.pause(s, person=person, now=moment))
    await send(update, t(lang, key))


async def resume(update: Update, context: KoppelContext) -> None:
    """Take part again after /pause."""
    person, moment = person_of(update), now(context)
    if person is None:
        return
    _, text = await db.run(context.engine, lambda s: account.resume(s, person=person, now=moment))
    await send(update, text)


async def cancel(update: Update, context: KoppelContext) -> None:
    """Leave any half-finished step (what was already answered stays)."""
    person = person_of(update)
    if person is None:
        return
    _, views = await db.run(context.engine, lambda s: account.cancel(s, person=person))
    await send_views(update, views)


async def privacy(update: Update, context: KoppelContext) -> None:
    """What is stored, why, for how long, and who sees it."""
    person = person_of(update)
    lang, consented = "nl", False
    if person is not None:
        lang, consented = await db.run(context.engine, lambda s: account.known(s, person=person))
    settings = context.settings
    consent = t(lang, "account.privacy_consented" if consented else "account.privacy_not_consented")
    period = Counted("months", settings.retention_months)
    lines = [t(lang, "account.privacy", period=period, consent=consent)]
    if settings.privacy_controller:
        lines.append(t(lang, "account.privacy_controller", controller=settings.privacy_controller))
    if settings.privacy_contact:
        lines.append(t(lang, "account.privacy_contact", contact=settings.privacy_contact))
    await send(update, "\n".join(lines))


async def mydata(update: Update, context: KoppelContext) -> None:
    """Everything stored about the person, as a JSON file."""
    person = person_of(update)
    if person is None:
        return
    lang, data = await db.run(context.engine, lambda s: account.my_data(s, person=person))
    if data is None or update.effective_chat is None:
        await send(update, t(lang, "account.not_registered"))
        return
    document = io.BytesIO(json.dumps(data, ensure_ascii=False, indent=2).encode())
    await update.effective_chat.send_document(
        document, filename="koppelbot-mydata.json", caption=t(lang, "account.mydata_caption")
    )


async def delete(update: Update, context: KoppelContext) -> None:
    """Ask for confirmation before erasing everything."""
    person = person_of(update)
    if person is None:
        return
    lang, known = await db.run(context.engine, lambda s: account.known(s, person=person))
    if not known:
        await send(update, t(lang, "account.not_registered"))
        return
    rows = [
        [Button(t(lang, "account.delete_yes"), pack("del", "yes"))],
        [Button(t(lang, "account.delete_no"), pack("del", "no"))],
    ]
    await send(update, t(lang, "account.delete_ask"), rows)


async def delete_button(update: Update, context: KoppelContext) -> None:
    """`del:yes` erases the presser's own data (never anyone else's); `del:no` keeps it."""
    query = update.callback_query
    person = person_of(update)
    if query is None or person is None:
        return
    try:
        answer = unpack(query.data, prefix="del").args[0]
    except (CallbackError, IndexError):
        await refuse_unreadable(query)
        return
    lang, key, erase = await db.run(
        context.engine, lambda s: account.delete(s, person=person, confirmed=answer == "yes")
    )
    if key == account.NOT_REGISTERED:  # nothing of theirs to delete (any more)
        await refuse(query, t(lang, key))
        await drop_buttons(update)
        return
    await answer_query(query)
    if erase is not None:  # the same erasure as the retention pass (rows, then the database files)
        await db.call(participants.erase, context.engine, participant_id=erase, now=now(context))
        logger.info("participant %s erased their data", erase)
    await edit_or_send(update, t(lang, key))


async def unknown_command(update: Update, context: KoppelContext) -> None:
    """A command the bot does not know: the one it most likely means ("Bedoel je /matches?"), else /help."""
    person, lang = await _language(update, context)
    message = update.effective_message
    word = message.text.split()[0] if message is not None and message.text else ""
    command = guess(word, organiser=True)
    if command is not None and command.audience is Audience.ORGANISER:  # only an organiser is pointed there
        allowed = person is not None and await is_organiser(context, person.telegram_id)
        command = command if allowed else guess(word)
    if command is not None:
        await send(update, t(lang, "account.did_you_mean", command=command.name))
        return
    await send(update, t(lang, "account.unknown_command"))


async def unknown_button(update: Update, context: KoppelContext) -> None:
    """A button from an old version or forged data: say so kindly."""
    query = update.callback_query
    if query is None:
        return
    _, lang = await _language(update, context)
    await answer_query(query, t(lang, "account.old_button"), alert=True)
