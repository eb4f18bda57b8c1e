"""The scripted story: a vmbo teacher joins, meets an installer, and they start a project together.

Every beat goes through the real bot: the story acts as people through the Bot API stand-in and prints what
each phone shows. A beat whose feature is not in this version is skipped with an honest line.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.demo.features import has_callback, has_command, has_followups, run_followups
from bot.demo.phone import Phone, StoryError
from bot.demo.transcript import Actor, Transcript
from bot.demo.world import ORGANISER_ID, DemoWorld
from bot.standin import ChatMessage
from bot.texts import Counted, Markup, t
from bot.views import choice_label

__all__ = ["TEACHER", "StoryResult", "play_story"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Persona:
    """Who the story's newcomer is and what she tells the bot."""

    user_id: int
    first_name: str
    last_name: str
    username: str
    label: str
    organisation: str
    region: str
    offers: tuple[str, ...]
    needs: tuple[str, ...]
    interests: tuple[str, ...]
    project: str


TEACHER = Persona(
    user_id=5001,
    first_name="Marieke",
    last_name="Lubbers",
    username="marieke_lubbers",
    label="Marieke (docent vmbo, Achterhoek)",
    organisation="Vmbo Lindenhof, Groenlo",
    region="Achterhoek",
    offers=("technieklokaal voor demonstraties", "snuffelstages voor leerlingen"),
    needs=("gastles over warmtepompen", "stageplaatsen installatietechniek voor leerlingen"),
    interests=("energietransitie", "installatietechniek"),
    project="In maart drie gastlessen over warmtepompen, en snuffelstages voor zes leerlingen.",
)
ORGANISER = Actor(ORGANISER_ID, "Inge", "Inge (organisator, provincie Gelderland)")


@dataclass
class StoryResult:
    """What the story did: the chart it saved, the beats it had to skip, how long it took."""

    chart: Path | None = None
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0


def say(key: str, /, **values: object) -> str:
    """A narration line of the demo (terminal text, so the catalogue's HTML escaping is undone)."""
    return html.unescape(t("nl", f"demo.{key}", **values))


def shown(key: str, /, **values: object) -> str:
    """The bot's text `key` in Dutch as a phone shows it (HTML tags removed), to recognise its messages."""
    return html.unescape(re.sub(r"<[^>]+>", "", t("nl", key, **values))).strip()


def showing(key: str, /, **values: object) -> Callable[[ChatMessage], bool]:
    """A predicate: the message shows the bot's text `key`."""
    text = shown(key, **values)
    return lambda message: text in message.plain_text


class Story:
    """The story's state while it plays."""

    def __init__(self, world: DemoWorld, write: Callable[[str], None], chart_path: Path) -> None:
        self.world = world
        self.transcript = Transcript(world.standin, write)
        self.chart_path = chart_path
        self.result = StoryResult()
        self.teacher = Phone(
            world,
            self.transcript,
            Actor(TEACHER.user_id, TEACHER.first_name, TEACHER.label),
            last_name=TEACHER.last_name,
            username=TEACHER.username,
        )
        self.partner: Phone | None = None

    def unavailable(self, beat: str) -> None:
        """Say honestly that this version cannot show a beat."""
        self.result.skipped.append(beat)
        self.transcript.note(say("unavailable", beat=beat))

    def partner_phone(self, telegram_id: int) -> Phone:
        member = self.world.member(telegram_id)
        if member is None:
            raise StoryError(f"the suggested partner {telegram_id} is not in the sample community")
        return Phone(self.world, self.transcript, Actor(member.telegram_id, member.first_name, member.label))

    # -- the beats -------------------------------------------------------------------------------------
    async def community(self) -> None:
        self.transcript.heading(say("community_heading"))
        if self.world.imported is None:
            self.unavailable(say("beat_import"))
            return
        self.transcript.note(say("community", participants=Counted("participants", self.world.imported)))

    async def onboarding(self) -> None:
        self.transcript.heading(say("onboarding_heading", name=TEACHER.first_name))
        welcome = await self.teacher.send("/start")
        if not welcome:
            raise StoryError("the bot did not answer /start")
        if not has_callback(self.world.application, "consent:yes"):
            self.unavailable(say("beat_consent"))
            return
        await self.teacher.press(t("nl", "start.consent_button"))
        await self.answer_profile_questions()

    async def answer_profile_questions(self) -> None:
        """Marieke answers the profile questions: typing where she writes, buttons where she chooses."""
        phone = self.teacher
        done = t("nl", "onboarding.done_button")
        await phone.expect(showing("onboarding.ask_name"), "the question for her name")
        await phone.send(f"{TEACHER.first_name} {TEACHER.last_name}")
        await phone.expect(showing("onboarding.ask_organisation"), "the question for her organisation")
        await phone.send(TEACHER.organisation)
        for step, code in (("role", "school"), ("region", "achterhoek"), ("reach", "anywhere")):
            await phone.expect(showing(f"onboarding.ask_{step}"), f"the question for her {step}")
            await phone.press(choice_label("nl", step, code))
        for step, items in (
            ("offers", TEACHER.offers),
            ("needs", TEACHER.needs),
            ("themes", TEACHER.interests),
        ):
            await phone.expect(showing(f"onboarding.ask_{step}"), f"the question for her {step}")
            await phone.send("; ".join(items))
            await phone.press(done)
        await phone.expect(showing("onboarding.summary_title"), "the summary of her profile")

    async def suggestions(self) -> None:
        self.transcript.heading(say("suggestions_heading"))
        if not has_command(self.world.application, "matches"):
            self.unavailable(say("beat_matches"))
            return
        finish = t("nl", "onboarding.finish_button")
        if self.teacher.with_button(finish) is not None:
            await self.teacher.press(finish)
        else:
            await self.teacher.send("/matches")
        if self.world.imported is None:  # nobody to suggest without the sample community
            self.unavailable(say("beat_matches"))
            return
        await self.teacher.expect(showing("matches.card_why"), "a suggestion with its reasons")

    async def both_say_yes(self) -> None:
        self.transcript.heading(say("yes_heading"))
        yes = t("nl", "matches.yes_button")
        card = self.teacher.with_button(yes)
        if card is None:
            self.unavailable(say("beat_yes"))
            return
        cards = [m for m in self.teacher.messages if yes in m.button_texts]
        card = cards[0]  # the best suggestion comes first
        self.partner = self.partner_phone(self._member_on_card(card))
        await self.teacher.press(yes, card)
        request = await self.partner.expect(
            lambda m: yes in m.button_texts and TEACHER.first_name in m.plain_text,
            f"the suggestion to meet {TEACHER.first_name}",
        )
        await self.partner.press(yes, request)
        # Both said yes: the bot introduces them to each other (through the outbox, at Telegram's pace).
        for phone, other in ((self.teacher, self.partner), (self.partner, self.teacher)):
            member = self.world.member(other.user_id)
            name = member.name if member else f"{TEACHER.first_name} {TEACHER.last_name}"
            await phone.expect(showing("matches.intro_title", name=name), f"the introduction to {name}")

    def _member_on_card(self, card: ChatMessage) -> int:
        """The Telegram id of the sample person a suggestion card is about."""
        for member in self.world.members:
            if shown("matches.card_title", name=member.name) in card.plain_text:
                return member.telegram_id
        raise StoryError("the first suggestion is not about anyone in the sample community")

    async def nudges(self) -> None:
        self.transcript.heading(say("nudge_heading"))
        partner = self.partner
        if partner is None or not await self.days_pass(self.world.settings.nudge_days[0]):
            self.unavailable(say("beat_nudge"))
            self.transcript.heading(say("project_heading"))
            self.unavailable(say("beat_project"))
            return
        member = self.world.member(partner.user_id)
        partner_name = member.name if member else partner.actor.first_name
        organisation = Markup(
            t("nl", "followup.organisation", organisation=member.organisation if member else "")
        )
        await self.teacher.expect(
            showing("followup.contact_check", other=partner_name, organisation=organisation),
            "the question about contact",
        )
        await self.teacher.press(t("nl", "followup.yes_button"))
        self.transcript.heading(say("project_heading"))
        days = max(1, self.world.settings.nudge_days[1] - self.world.settings.nudge_days[0])
        await self.days_pass(days)
        await self.teacher.expect(
            showing("followup.project_check", other=partner_name, organisation=organisation),
            "the question about a project",
        )
        await self.teacher.press(t("nl", "followup.project_yes_button"))
        await self.teacher.expect(
            showing("followup.ask_project"), "the question for one line about the project"
        )
        await self.teacher.send(TEACHER.project)
        await self.teacher.expect(
            showing("followup.project_saved", description=TEACHER.project), "the project being noted"
        )

    async def days_pass(self, days: int) -> bool:
        """Move the bot's clock `days` days on and run the scheduled follow-ups; False if there are none."""
        if not has_followups(self.world.application):
            return False
        when = self.world.days_later(days).astimezone(self.world.settings.tz)
        self.transcript.note(say("days_later", period=Counted("days", days), when=f"{when:%d-%m %H:%M}"))
        await run_followups(self.world.application)
        await self.teacher.settle()
        return True

    async def organiser(self) -> None:
        self.transcript.heading(say("organiser_heading"))
        if not has_command(self.world.application, "stats"):
            self.unavailable(say("beat_stats"))
            return
        inge = Phone(self.world, self.transcript, ORGANISER)
        await inge.send("/stats")
        photo = await inge.expect(lambda m: m.kind == "photo", "the funnel chart")
        data = photo.file_bytes or b""
        if not data.startswith(PNG_SIGNATURE):
            raise StoryError("the /stats chart is not a PNG image")
        self.chart_path.parent.mkdir(parents=True, exist_ok=True)
        self.chart_path.write_bytes(data)
        self.result.chart = self.chart_path
        self.transcript.note(say("chart_saved", path=str(self.chart_path)))


def _error_replies(world: DemoWorld) -> list[ChatMessage]:
    error = html.unescape(t("nl", "common.error"))
    return [
        message
        for chat in list(world.standin.chats)
        for message in world.standin.bot_messages(chat)
        if message.plain_text.strip() == error.strip()
    ]


async def play_story(world: DemoWorld, write: Callable[[str], None], chart_path: Path) -> StoryResult:
    """Play the whole story through the bot in `world`, writing the transcript line by line."""
    started = time.monotonic()
    story = Story(world, write, chart_path)
    story.transcript.heading(say("title"))
    story.transcript.note(say("intro"))
    await world.settle()
    story.transcript.skip()
    for beat in (
        story.community,
        story.onboarding,
        story.suggestions,
        story.both_say_yes,
        story.nudges,
        story.organiser,
    ):
        await beat()
    errors = _error_replies(world)
    if errors:
        raise StoryError(f"the bot answered with its error message {len(errors)} time(s); see the log")
    story.result.seconds = time.monotonic() - started
    return story.result
