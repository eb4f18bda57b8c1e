"""The profile questions (onboarding and editing), driven by the state stored on the participant.

Every answer is written to the database at once and the next question follows from
`Participant.conversation_state`, so a restart of the bot loses nothing: the person simply continues.
"""

from __future__ import annotations

import logging

from sqlmodel import Session
from telegram import Update

from bot.callbacks import CallbackError
from bot.context import KoppelContext
from bot.handlers import suggestions
from bot.handlers.common import (
    answer_query,
    drop_buttons,
    edit_or_send,
    items_of,
    language_of,
    now,
    participant_of,
    pressed,
    send,
    send_views,
)
from bot.services.participants import (
    CHOICE_STEPS,
    ITEM_STEPS,
    RELAY_MAX,
    STEPS,
    TEXT_STEPS,
    InputProblem,
    add_items,
    choose,
    completeness,
    next_state,
    parse_choice,
    set_text_field,
    split_items,
    state_step,
    toggle_theme,
)
from bot.texts import Markup, t
from bot.views import View, ask_step, choice_label, profile_view, summary_view, theme_labels
from storage import session_scope
from storage.models import ItemKind, Participant

__all__ = [
    "continue_views",
    "current_views",
    "on_other_message",
    "on_text",
    "refuse_stale",
    "resume_state",
    "stale_answer",
    "step_button",
    "theme_button",
]

logger = logging.getLogger(__name__)


def resume_state(session: Session, participant: Participant) -> str | None:
    """Where an idle person with an unfinished profile picks up: the first unanswered question."""
    if participant.profile_completed_at is not None:
        return None
    items = items_of(session, participant)
    for step in STEPS:
        if step in ITEM_STEPS:
            if not items.get(ITEM_STEPS[step]):
                return f"ob:{step}"
        elif step != "reach" and not getattr(participant, step):
            return f"ob:{step}"
    return "ob:summary"


def current_views(session: Session, participant: Participant, telegram_name: str | None = None) -> list[View]:
    """What to show for the participant's current state (the question, the summary, or the profile)."""
    language = participant.language
    items = items_of(session, participant)
    mode, step = state_step(participant)
    if mode in ("ob", "ed") and step in STEPS:
        return [
            ask_step(
                language,
                step,
                participant=participant,
                items=items,
                onboarding=mode == "ob",
                telegram_name=telegram_name,
            )
        ]
    if mode == "ob" and step == "summary":
        return [summary_view(language, participant, items)]
    if mode == "relay":
        return [(t(language, "matches.relay_ask", name="…", limit=RELAY_MAX), [])]
    percent, tips = completeness(participant, items)
    return [profile_view(language, participant, items, percent=percent, tips=tips)]


def continue_views(
    session: Session, participant: Participant, telegram_name: str | None = None
) -> list[View]:
    """For /start and consent: put an idle unfinished profile back on its first open question."""
    if participant.conversation_state is None and participant.profile_completed_at is None:
        participant.conversation_state = resume_state(session, participant)
        session.add(participant)
    return current_views(session, participant, telegram_name)


def _advance(participant: Participant, step: str) -> None:
    """The state after answering `step`: the next question, or back to the summary or profile."""
    mode, _ = state_step(participant)
    if mode == "ob":
        participant.conversation_state = next_state(step)
    else:
        participant.conversation_state = (
            None if participant.profile_completed_at is not None else "ob:summary"
        )


async def on_text(update: Update, context: KoppelContext) -> None:
    """Free text: the answer to the current question, a message to relay, or a friendly pointer."""
    message = update.effective_message
    if message is None or update.effective_user is None:
        return
    text = message.text or ""
    replies: list[View] = []
    relay_to: int | None = None
    with session_scope(context.engine) as session:
        participant = participant_of(session, update)
        language = language_of(update, participant)
        if participant is None:
            await send(update, t(language, "account.not_registered"))
            return
        participant.last_seen_at = now(context)
        mode, step = state_step(participant)
        answered = (participant.conversation_data or {}).get("answered")
        try:
            if mode in ("ob", "ed") and answered == message.message_id:
                # The same message again: its answer was stored, then the bot died before the update was
                # recorded as handled. Reading it as the answer to the next question would misfile it.
                replies += current_views(session, participant)
            elif mode in ("ob", "ed") and step in TEXT_STEPS:
                set_text_field(session, participant=participant, step=step, text=text, now=now(context))
                _advance(participant, step)
                replies += current_views(session, participant)
            elif mode in ("ob", "ed") and step in CHOICE_STEPS:
                code = parse_choice(step, text[:200])
                if code is not None and choose(
                    session, participant=participant, step=step, code=code, now=now(context)
                ):
                    _advance(participant, step)
                    replies += current_views(session, participant)
                else:
                    replies.append((t(language, "onboarding.use_buttons"), []))
                    replies += current_views(session, participant)
            elif mode in ("ob", "ed") and step in ITEM_STEPS:
                add_items(
                    session,
                    participant=participant,
                    kind=ITEM_STEPS[step],
                    texts=split_items(text),
                    now=now(context),
                )
                replies += current_views(session, participant)
            elif mode == "ob" and step == "summary":
                replies.append((t(language, "onboarding.use_buttons"), []))
                replies += current_views(session, participant)
            elif mode == "relay" and step is not None and step.isdigit():
                relay_to = int(step)
            else:
                replies.append((t(language, "account.not_understood"), []))
        except InputProblem as problem:
            replies.append((t(language, problem.key, **problem.values), []))
        if state_step(participant)[0] in ("ob", "ed"):  # still in a question after this answer
            # Stored with the answer in one transaction, so a replay of this message is recognised.
            participant.conversation_data = {
                **(participant.conversation_data or {}),
                "answered": message.message_id,
            }
        session.add(participant)
    if relay_to is not None:
        await suggestions.relay_text(update, context, suggestion_id=relay_to, text=text)
        return
    for text_out, rows in replies:
        await send(update, text_out, rows)


async def on_other_message(update: Update, context: KoppelContext) -> None:
    """A sticker, photo, voice note, location…: say what to do instead; nothing is stored."""
    if update.effective_message is None:
        return
    with session_scope(context.engine) as session:
        participant = participant_of(session, update)
        language = language_of(update, participant)
        mode = state_step(participant)[0] if participant is not None else None
        views = current_views(session, participant) if participant is not None and mode else []
    if participant is None:
        await send(update, t(language, "account.not_registered"))
        return
    if mode in ("ob", "ed", "relay"):
        await send(update, t(language, "onboarding.not_text"))
        for text, rows in views:
            await send(update, text, rows)
        return
    await send(update, t(language, "account.not_text"))


def stale_answer(session: Session, participant: Participant) -> tuple[str, list[View]]:
    """What an old or forged profile button gets: a short text and, mid-question, that question again."""
    language = participant.language
    mode, _ = state_step(participant)
    if mode in ("ob", "ed"):
        return t(language, "onboarding.stale_question"), current_views(session, participant)
    if participant.profile_completed_at is None:
        return t(language, "onboarding.stale_unfinished"), []
    return t(language, "onboarding.stale_finished"), []


async def refuse_stale(update: Update, text: str, views: list[View]) -> None:
    """Answer an old button with a short text, take its keyboard away, and show where the person is now."""
    if update.callback_query is not None:
        await answer_query(update.callback_query, text)
    await drop_buttons(update)
    await send_views(update, views)


async def step_button(update: Update, context: KoppelContext) -> None:
    """`ob:<step>:<code>`, `ob:keep:<step>`, `ob:done:<step>`, `ob:finish`: answers to the profile questions.

    A button counts only for the question that is open now; one from an earlier question (or pressed after
    onboarding finished, or after /cancel) changes nothing and gets a short answer instead.
    """
    press = await pressed(update, "ob")
    if press is None or update.effective_user is None:
        return
    query, data = press
    action = data.args[0] if data.args else ""
    target = data.args[1] if len(data.args) > 1 else None
    replies: list[View] = []
    show_matches = False
    echo: str | None = None
    stale: tuple[str, list[View]] | None = None
    with session_scope(context.engine) as session:
        participant = participant_of(session, update)
        language = language_of(update, participant)
        if participant is None:
            await answer_query(query)
            await edit_or_send(update, t(language, "account.not_registered"))
            return
        mode, step = state_step(participant)
        in_question = mode in ("ob", "ed")
        if (
            action in CHOICE_STEPS
            and in_question
            and step == action
            and target is not None
            and choose(session, participant=participant, step=action, code=target, now=now(context))
        ):
            echo = choice_label(language, action, target)
            _advance(participant, action)
            replies += current_views(session, participant)
        elif action == "keep" and in_question and step in TEXT_STEPS and target == step:
            if step == "name" and not participant.name:
                participant.name = (update.effective_user.full_name or "").strip()[:100] or None
            if getattr(participant, step):
                echo = getattr(participant, step)
                _advance(participant, step)
            replies += current_views(session, participant, update.effective_user.full_name)
        elif action == "done" and in_question and step in ("offers", "needs") and target == step:
            _advance(participant, step)
            replies += current_views(session, participant)
        elif action == "finish" and mode == "ob" and step == "summary":
            participant.profile_completed_at = now(context)
            participant.conversation_state = None
            participant.updated_at = now(context)
            replies.append((t(language, "onboarding.finished"), []))
            show_matches = True
        else:
            stale = stale_answer(session, participant)
        session.add(participant)
    if stale is not None:
        await refuse_stale(update, *stale)
        return
    await answer_query(query)
    await _close_question(update, language, echo)
    for text, rows in replies:
        await send(update, text, rows)
    if show_matches:
        await suggestions.show_matches(update, context)


async def _close_question(update: Update, language: str, answer: str | None) -> None:
    """Take the buttons off an answered question, showing the answer under it when there is one."""
    message = update.callback_query.message if update.callback_query else None
    if answer is None or message is None or not getattr(message, "text_html", None):
        await drop_buttons(update)
        return
    await edit_or_send(
        update, t(language, "onboarding.answered", question=Markup(message.text_html), answer=answer)
    )


async def theme_button(update: Update, context: KoppelContext) -> None:
    """`th:<index>` toggles a common theme; `th:done` ends the themes question."""
    press = await pressed(update, "th")
    if press is None:
        return
    query, data = press
    action = data.args[0] if data.args else ""
    stale: tuple[str, list[View]] | None = None
    chosen: str | None = None
    views: list[View] = []
    with session_scope(context.engine) as session:
        participant = participant_of(session, update)
        language = language_of(update, participant)
        if participant is None:
            await answer_query(query)
            await edit_or_send(update, t(language, "account.not_registered"))
            return
        mode, step = state_step(participant)
        theme: str | None = None
        if action != "done":
            try:
                theme = theme_labels(language)[data.int_arg(0)]
            except (CallbackError, IndexError):
                theme = None
        if mode not in ("ob", "ed") or step != "themes" or (action != "done" and theme is None):
            stale = stale_answer(session, participant)
        elif action == "done":
            assert participant.id is not None
            themes = items_of(session, participant).get(ItemKind.THEME, [])
            chosen = "; ".join(item.text for item in themes) or None
            _advance(participant, "themes")
            session.add(participant)
            views = current_views(session, participant)
        else:
            assert theme is not None
            try:
                toggle_theme(session, participant=participant, theme=theme, now=now(context))
            except InputProblem as problem:
                await answer_query(query, t(language, problem.key, **problem.values), alert=True)
                return
            views = current_views(session, participant)
    if stale is not None:
        await refuse_stale(update, *stale)
        return
    await answer_query(query)
    if action == "done":
        await _close_question(update, language, chosen)
        for text, rows in views:
            await send(update, text, rows)
    else:
        await edit_or_send(update, *views[0])
