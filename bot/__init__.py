"""Koppelbot's Telegram shell: handlers, texts, jobs, the CLI and the Bot API stand-in."""
