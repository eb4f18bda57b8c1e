"""`koppelbot demo`: the whole story on your own machine, against a local stand-in for Telegram, no token.

`demo_world()` starts the Bot API stand-in, a throwaway SQLite database with the sample community and the
real bot (built and run exactly as `koppelbot run` does); `play_story()` plays the scripted story through
it and `play_interactive()` lets a person at the terminal be the participant.
"""

from bot.demo.community import COMMUNITY_CSV, Member, read_members
from bot.demo.interactive import play_interactive, stdin_lines
from bot.demo.phone import StoryError
from bot.demo.story import PNG_SIGNATURE, StoryResult, play_story
from bot.demo.world import DemoWorld, demo_settings, demo_world

__all__ = [
    "COMMUNITY_CSV",
    "PNG_SIGNATURE",
    "DemoWorld",
    "Member",
    "StoryError",
    "StoryResult",
    "demo_settings",
    "demo_world",
    "play_interactive",
    "play_story",
    "read_members",
    "stdin_lines",
]
