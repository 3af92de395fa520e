"""The Telegram bot: a client of the liaison HTTP API (never the database). Not built yet; see README."""
