"""Did not attend from the phone: the adolescent-capacity check, asked one step at a time, inside the
`/appointments REF` conversation (`bot.outcomes`).

Did not attend says the young person made their own informed choice not to go; liaison records it only
with a capacity check (`schemas.api.appointments.CapacityCheck`): the framework (Gillick or Fraser under
16, the Mental Capacity Act from 16), whether they were judged competent (MCA: to have capacity) to
decide, whether they understood what it was for and chose not to go, when it was judged and how. The bot
asks each and sends them with the miss; the API alone decides whether they are enough (the framework for
the young person's age at the appointment, competent, an informed choice, not dated in the future) and
says in words what is not, so the bot never reads the young person's birth date. The note is kept in
liaison and never shown in chat.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.client import ApiError, build
from bot.common import Context, conversation_state, reply
from schemas.api.appointments import CapacityCheck

REASON = 2  # bot.outcomes.REASON (it checks they agree)
FRAMEWORK, COMPETENT, INFORMED, ASSESSED_ON, NOTE = range(4, 9)  # after bot.outcomes' own states
STATE = "outcome"
FRAMEWORKS = {
    "gillick": "Gillick competence (under 16)",
    "fraser": "Fraser guidelines (under 16)",
    "mca": "Mental Capacity Act (16 and over)",
}
FRAMEWORK_PATTERN = r"^cap:f:(gillick|fraser|mca)$"
YES_NO_PATTERN = r"^cap:(c|i):(y|n)$"
TODAY_PATTERN = r"^cap:d:today$"
INTRO = (
    "Did not attend means it was the young person's own informed choice, and needs the adolescent-capacity "
    "check. Which framework was used? (liaison checks it against their age at the appointment.)"
)
QUESTIONS = {
    "c": "Was the young person judged competent (under the MCA: to have capacity) to decide about attending?",
    "i": "Did they understand what the appointment was for, and choose not to go?",
}


def _state(context: Context) -> dict[str, Any] | None:
    return conversation_state(context, STATE)


def _buttons(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d) for t, d in row] for row in rows])


def framework_keyboard() -> InlineKeyboardMarkup:
    rows = [[(label, f"cap:f:{code}")] for code, label in FRAMEWORKS.items()]
    return _buttons([*rows, [("Was not brought instead", "out:wnb")]])


def yes_no(which: str) -> InlineKeyboardMarkup:
    return _buttons([[("Yes", f"cap:{which}:y"), ("No", f"cap:{which}:n")]])


async def begin(update: Update, context: Context) -> int:
    """Did not attend was chosen: start the check (the miss's reason and barriers come after it)."""
    state = _state(context)
    query = update.callback_query
    if state is None or query is None:
        return FRAMEWORK
    state["capacity"] = {}
    await query.edit_message_text(INTRO, reply_markup=framework_keyboard())
    return FRAMEWORK


async def framework(update: Update, context: Context) -> int:
    state = _state(context)
    query = update.callback_query
    if state is None or query is None or query.data is None or "capacity" not in state:
        return FRAMEWORK
    code = query.data.rsplit(":", 1)[1]
    state["capacity"]["framework"] = code
    await query.answer()
    await query.edit_message_text(f"Framework: {FRAMEWORKS[code]}", reply_markup=None)
    await reply(update, QUESTIONS["c"], reply_markup=yes_no("c"))
    return COMPETENT


async def answered(update: Update, context: Context) -> int:
    state = _state(context)
    query = update.callback_query
    if state is None or query is None or query.data is None or "capacity" not in state:
        return COMPETENT
    _, which, answer = query.data.split(":")
    key = "competent" if which == "c" else "informed_choice"
    state["capacity"][key] = answer == "y"
    await query.answer()
    await query.edit_message_text(
        f"{QUESTIONS[which]}\n{'Yes' if answer == 'y' else 'No'}", reply_markup=None
    )
    if which == "c":
        await reply(update, QUESTIONS["i"], reply_markup=yes_no("i"))
        return INFORMED
    today = _buttons([[("Today", "cap:d:today")]])
    await reply(update, "When was it judged? Press Today or type the date as YYYY-MM-DD.", reply_markup=today)
    return ASSESSED_ON


async def assessed_on(update: Update, context: Context) -> int:
    state = _state(context)
    if state is None or "capacity" not in state:
        return ASSESSED_ON
    query = update.callback_query
    if query is not None:
        await query.answer()
        when = datetime.now(UTC).date().isoformat()
    else:
        message = update.effective_message
        when = (message.text or "").strip() if message is not None else ""
        try:
            build(
                CapacityCheck,
                framework="mca",
                competent=True,
                informed_choice=True,
                assessed_on=when,
                note="-",
            )
        except ApiError as exc:
            await reply(update, f"Not a date: {exc.detail}. Type it as YYYY-MM-DD.")
            return ASSESSED_ON
    state["capacity"]["assessed_on"] = when
    await reply(update, "How was the judgement reached? Type it (kept in liaison; never sent in an alert).")
    return NOTE


async def note(update: Update, context: Context) -> int:
    state = _state(context)
    message = update.effective_message
    if state is None or "capacity" not in state or message is None or not message.text:
        return NOTE
    state["capacity"]["note"] = message.text.strip()
    await reply(
        update,
        "Why was it missed, as far as is known? Type it (kept in liaison; never sent in an alert). "
        "/cancel to stop.",
    )
    return REASON  # the miss goes on as any miss does: its reason, then the barriers
