"""The Telegram bot: a client of the liaison HTTP API (never the database). See docs/bot.md."""
