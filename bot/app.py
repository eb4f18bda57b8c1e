"""The composition root: builds the Application and registers every handler, in one commented order."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.engine import Engine
from telegram import BotCommand, BotCommandScopeDefault, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    filters,
)

from bot.callbacks import pattern
from bot.clock import Clock
from bot.context import BotData, KoppelContext
from bot.flood import FloodGuard
from bot.handlers import (
    account,
    errors,
    followups,
    onboarding,
    organiser,
    organiser_broadcast,
    profile,
    start,
    suggestions,
)
from bot.jobs import start_jobs, stop_jobs
from bot.limiter import TelegramLimiter
from bot.ordering import PersonOrderedProcessor
from bot.settings import Settings
from bot.texts import LANGUAGES, t

__all__ = ["KoppelApplication", "build_application", "post_init", "post_shutdown", "post_stop"]

logger = logging.getLogger(__name__)

KoppelApplication = Application[Any, KoppelContext, dict[Any, Any], dict[Any, Any], BotData, Any]

# The participant command menu: (command, catalogue key of its one-line description).
PARTICIPANT_COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", "menu.start"),
    ("profile", "menu.profile"),
    ("matches", "menu.matches"),
    ("pause", "menu.pause"),
    ("resume", "menu.resume"),
    ("language", "menu.language"),
    ("privacy", "menu.privacy"),
    ("mydata", "menu.mydata"),
    ("delete", "menu.delete"),
    ("cancel", "menu.cancel"),
    ("help", "menu.help"),
)


async def post_init(application: KoppelApplication) -> None:
    """Runs once the bot is connected: register the command menu per language."""
    bot = application.bot
    for language in LANGUAGES:
        commands = [BotCommand(name, t(language, key)) for name, key in PARTICIPANT_COMMANDS]
        await bot.set_my_commands(
            commands, scope=BotCommandScopeDefault(), language_code=None if language == "nl" else language
        )
    await organiser.set_organiser_menus(application)
    await start_jobs(application)
    logger.info("bot @%s is ready", bot.username)


async def post_stop(application: KoppelApplication) -> None:
    """Stop the outbox sender while the bot can still finish in-flight sends."""
    await stop_jobs(application)


async def post_shutdown(application: KoppelApplication) -> None:
    """Release long-lived clients."""
    await stop_jobs(application)
    executor = application.bot_data.extras.pop("matches_executor", None)
    if executor is not None:
        executor.shutdown(wait=True)
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
    context_types = ContextTypes(
        context=KoppelContext, bot_data=lambda: BotData(settings=settings, engine=engine, clock=the_clock)
    )
    application: KoppelApplication = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.file_base_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.tz))
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
    participant_commands = {
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
    }
    for name, callback in participant_commands.items():
        application.add_handler(CommandHandler(name, callback, filters=private))
    # Organiser commands (each refuses everybody else politely).
    organiser_commands = {
        "organisers": organiser.organisers,
        "broadcast": organiser_broadcast.broadcast,
        "stats": organiser.stats,
        "unmet": organiser.unmet,
        "export": organiser.export,
        "invite": organiser.invite,
        "outbox": organiser.outbox,
        "digest_now": organiser.digest_now,
    }
    for name, callback in organiser_commands.items():
        application.add_handler(CommandHandler(name, callback, filters=private))
    # Participant buttons, one pattern per callback prefix.
    participant_buttons = {
        "consent": start.consent,
        "ob": onboarding.step_button,
        "th": onboarding.theme_button,
        "pf": profile.profile_button,
        "sg": suggestions.suggestion_button,
        "relay": suggestions.relay_button,
        "lang": account.language_button,
        "del": account.delete_button,
    }
    for prefix, callback in participant_buttons.items():
        application.add_handler(CallbackQueryHandler(callback, pattern=pattern(prefix)))
    # Organiser buttons (each checks on the server that the presser is an organiser).
    organiser_buttons = {
        "bc": organiser_broadcast.broadcast_button,
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
    # An organiser's broadcast draft waiting for its text or theme keyword comes before any other free text.
    bot_data = application.bot_data
    draft_filter = organiser_broadcast.DraftTextFilter(bot_data.engine, bot_data.settings.organiser_ids)
    drafting = new_messages & filters.TEXT & ~filters.COMMAND & draft_filter
    application.add_handler(MessageHandler(drafting, organiser_broadcast.draft_text))
    application.add_handler(
        MessageHandler(new_messages & filters.TEXT & ~filters.COMMAND, onboarding.on_text)
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
