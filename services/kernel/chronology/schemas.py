"""The chronology's answer bodies live in `schemas.api.chronology`, shared with the bot."""

from schemas.api.chronology import Chronology, ChronologyEvent

__all__ = ["Chronology", "ChronologyEvent"]
