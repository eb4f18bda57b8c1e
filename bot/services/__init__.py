"""Business rules of the bot as plain functions (no Telegram objects): handlers and jobs call them."""
