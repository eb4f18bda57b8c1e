"""Telegram handlers, one module per feature; `bot.app` registers them in one place."""
