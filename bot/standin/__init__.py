"""A local stand-in for the Telegram Bot API (tests, benchmarks, `koppelbot demo`)."""

from bot.standin.server import ApiCall, BotAPIStandIn, ChatMessage, Fault, FloodLimits, Person

__all__ = ["ApiCall", "BotAPIStandIn", "ChatMessage", "Fault", "FloodLimits", "Person"]
