"""The composition root: builds the Application and registers every handler, in one commented order."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.engine import Engine
from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.access import Handler
from bot.callbacks import pattern
from bot.clock import Clock
from bot.commands import COMMANDS, set_default_menu, set_organiser_menu
from bot.context import BotData, KoppelContext
from bot.flood import FloodGuard
from bot.handlers import (
    account,
    errors,
    followups,
    onboarding,
    organiser,
    organiser_broadcast,
    organiser_moderation,
    profile,
    retention,
    start,
    suggestions,
)
from bot.jobs.schedule import start_jobs, stop_jobs
from bot.limiter import TelegramLimiter
from bot.ordering import PersonOrderedProcessor
from bot.services import db
from bot.services import organisers as organiser_service
from bot.settings import Settings
from bot.texts import DEFAULT, LANGUAGES, set_default_language, t

__all__ = ["KoppelApplication", "build_application", "post_init", "post_shutdown", "post_stop"]

logger = logging.getLogger(__name__)

KoppelApplication = Application[Any, KoppelContext, dict[Any, Any], dict[Any, Any], BotData, Any]

# The handler of every command in `bot.commands.COMMANDS` (the table says who may use it and its texts).
COMMAND_HANDLERS: dict[str, Handler] = {
    "start": start.start,
    "profile": profile.profile,
    "matches": suggestions.matches,
    "pause": account.pause,
    "resume": account.resume,
    "language": account.language,
    "privacy": account.privacy,
    "mydata": account.mydata,
    "delete": account.delete,
    "cancel": account.cancel,
    "help": account.help_command,
    # Organiser commands (each refuses everybody else politely: bot.access.organiser_only).
    "broadcast": organiser_broadcast.broadcast,
    "broadcasts": organiser_broadcast.broadcasts,
    "stats": organiser.stats,
    "unmet": organiser.unmet,
    "export": organiser.export,
    "invite": organiser.invite,
    "organisers": organiser.organisers,
    "event": organiser.event,
    "outbox": organiser.outbox,
    "digest_now": organiser.digest_now,
    "participant": organiser_moderation.participant,
    "introduce": organiser_moderation.introduce,
}


async def post_init(application: KoppelApplication) -> None:
    """Runs once the bot is connected: the default language, the command menus (everybody's, each
    organiser's) and the bot's description per language, then the jobs."""
    bot = application.bot
    data = application.bot_data
    default = data.settings.default_language
    set_default_language(default)
    await set_default_menu(bot)
    await describe_bot(application, default)
    configured = data.settings.organiser_ids
    for telegram_id in await db.run(data.engine, lambda s: organiser_service.ids(s, configured=configured)):
        await set_organiser_menu(bot, telegram_id)
    await start_jobs(application)
    logger.info("bot @%s is ready", bot.username)


async def describe_bot(application: KoppelApplication, default: str) -> None:
    """The texts Telegram shows before the first message (description) and on the bot's profile (short
    description), per language, and `default`'s for every other language. Set only when they changed.

    Cosmetic: a failure is logged and the bot starts anyway.
    """
    bot = application.bot
    targets: list[tuple[str | None, str]] = [
        (None, default),
        *((language, language) for language in LANGUAGES),
    ]
    try:
        for code, language in targets:
            description = t(language, "about.description")
            if (await bot.get_my_description(language_code=code)).description != description:
                await bot.set_my_description(description, language_code=code)
            short = t(language, "about.short_description")
            if (await bot.get_my_short_description(language_code=code)).short_description != short:
                await bot.set_my_short_description(short, language_code=code)
    except TelegramError as exc:
        logger.warning("could not set the bot's description in Telegram (%s)", type(exc).__name__)


async def post_stop(application: KoppelApplication) -> None:
    """Stop the outbox sender while the bot can still finish in-flight sends."""
    await stop_jobs(application)


async def post_shutdown(application: KoppelApplication) -> None:
    """Release long-lived clients (and the process-wide default language)."""
    await stop_jobs(application)
    set_default_language(DEFAULT)
    application.bot_data.match_executor.shutdown(wait=True)
    application.bot_data.engine.dispose()


def build_application(settings: Settings, *, engine: Engine, clock: Clock | None = None) -> KoppelApplication:
    """Build the Application for `settings`, talking to `settings.telegram_api_base_url`.

    `clock` is the time the scheduled work reads (the system clock unless a test or the demo passes one;
    it is also reachable, and settable, as `application.bot_data.clock`).
    """
    token = settings.token
    if token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    the_clock = clock or Clock()
    context_types = ContextTypes(  # type: ignore[call-overload]  # PTB calls bot_data(): a factory will do
        context=KoppelContext, bot_data=lambda: BotData(settings=settings, engine=engine, clock=the_clock)
    )
    application: KoppelApplication = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.file_base_url)
        # No link previews: a URL in someone's name or offer must not unfurl in other people's cards.
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                tzinfo=settings.tz,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .context_types(context_types)
        # Every Bot API call (replies, edits, button answers, the outbox sender) through one limiter.
        .rate_limiter(TelegramLimiter.from_settings(settings))
        # Concurrent across people, one at a time and once per update for each person (bot/ordering.py).
        .concurrent_updates(
            PersonOrderedProcessor(
                engine,
                max_concurrent_updates=settings.concurrent_updates,
                flood=FloodGuard(burst=settings.flood_burst, per_second=settings.flood_per_second),
            )
        )
        .post_init(post_init)
        .post_stop(post_stop)
        .post_shutdown(post_shutdown)
        .build()
    )
    register_handlers(application)
    return application


def register_handlers(application: KoppelApplication) -> None:
    """Every handler, in the order that matters."""
    unhandled = {command.name for command in COMMANDS} ^ set(COMMAND_HANDLERS)
    if unhandled:
        raise RuntimeError(f"commands without a handler or a row in bot.commands: {sorted(unhandled)}")
    # Group -2: every update of a person counts as activity (the retention clock); it never answers.
    application.add_handler(TypeHandler(Update, retention.record_activity), group=-2)
    # Group -1: the bot is for private chats; in a group or channel it says so and leaves.
    application.add_handler(
        MessageHandler(filters.ChatType.GROUPS | filters.UpdateType.CHANNEL_POSTS, errors.leave_group),
        group=-1,
    )
    # Group -1 too: the one line about a started project, only while a person is in that state (the handler
    # returns for everyone else, so the text handlers below still run; when it answers it stops them).
    application.add_handler(
        MessageHandler(filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, followups.project_text),
        group=-1,
    )
    # Group 0: commands, then callbacks, then free text (the first match wins).
    private = filters.ChatType.PRIVATE
    for command in COMMANDS:
        handler = COMMAND_HANDLERS[command.name]
        application.add_handler(CommandHandler(command.names, handler, filters=private))  # Dutch names too
    # Participant buttons, one pattern per callback prefix.
    participant_buttons: dict[str, Handler] = {
        "consent": start.consent,
        "join": start.join,
        "ob": onboarding.step_button,
        "th": onboarding.theme_button,
        "pf": profile.profile_button,
        "sg": suggestions.suggestion_button,
        "dg": suggestions.digest_button,
        "relay": suggestions.relay_button,
        "lang": account.language_button,
        "del": account.delete_button,
        "ret": retention.keep_button,
    }
    for prefix, callback in participant_buttons.items():
        application.add_handler(CallbackQueryHandler(callback, pattern=pattern(prefix)))
    # Organiser buttons (each checks on the server that the presser is an organiser).
    organiser_buttons: dict[str, Handler] = {
        "bc": organiser_broadcast.broadcast_button,
        "pp": organiser_moderation.participant_button,
        "st": organiser.stats_button,
        "ud": organiser.unmet_button,
        "org": organiser.outbox_button,
    }
    for prefix, callback in organiser_buttons.items():
        application.add_handler(CallbackQueryHandler(callback, pattern=pattern(prefix)))
    # (Other features' buttons are registered here.)
    application.add_handler(CallbackQueryHandler(followups.followup_button, pattern=pattern("fu")))
    # Free text answers the current question; other messages (stickers, photos, voice…) get a pointer.
    new_messages = private & filters.UpdateType.MESSAGE
    # An organiser's broadcast draft waiting for its text or theme keyword, or `/event new` waiting for an
    # answer, comes before any other free text.
    bot_data = application.bot_data
    draft_filter = organiser_broadcast.DraftTextFilter(bot_data.engine, bot_data.settings.organiser_ids)
    drafting = new_messages & filters.TEXT & ~filters.COMMAND & draft_filter
    application.add_handler(MessageHandler(drafting, organiser.organiser_text))
    application.add_handler(
        MessageHandler(new_messages & filters.TEXT & ~filters.COMMAND, onboarding.on_text)
    )
    # Telegram's user picker answers an organiser's `/organisers add` with a `users_shared` message.
    application.add_handler(
        MessageHandler(new_messages & filters.StatusUpdate.USERS_SHARED, organiser.organiser_shared)
    )
    # Keep these fallbacks LAST in group 0: unknown commands, other media, buttons nobody else claimed.
    application.add_handler(MessageHandler(new_messages & filters.COMMAND, account.unknown_command))
    application.add_handler(
        MessageHandler(new_messages & ~filters.TEXT & ~filters.StatusUpdate.ALL, onboarding.on_other_message)
    )
    application.add_handler(CallbackQueryHandler(account.unknown_button))
    # One error handler for everything.
    application.add_error_handler(errors.on_error)


def allowed_updates() -> list[str]:
    """The update types the bot asks Telegram for."""
    return [
        Update.MESSAGE,
        Update.EDITED_MESSAGE,
        Update.CALLBACK_QUERY,
        Update.MY_CHAT_MEMBER,
        Update.CHANNEL_POST,
    ]
