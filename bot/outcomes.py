"""Recording what happened at an appointment from the phone: `/appointments REF`.

It lists the young person's care-team appointments and discharge-plan follow-ups from 30 days ago to 30
days ahead as buttons; one is chosen, then attended / cancelled / was not brought / did not attend. A miss
asks for the reason (typed) and the barriers (toggle buttons, then Done), and is recorded through the API
(`POST .../appointments/{id}/outcome` or `.../follow-ups/{fid}/outcome`) as the chat's user, so the API's
access rules, refusals, audit (via=bot) and the people it tells all apply. Did not attend needs an
adolescent-capacity check, asked step by step first (`bot.capacity`); the API decides whether it is enough.

Where we are lives in `context.user_data` under a ConversationHandler, as in `bot.checklist`; /cancel
leaves it and nothing is recorded until the last step.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import capacity
from bot.client import ApiError, ChatApi, NotLinked, Refused, build
from bot.common import (
    Context,
    chat_api,
    conversation_state,
    end_conversation,
    open_conversation,
    reply,
    typed_for,
)
from bot.formatting import PRIVATE_ONLY
from bot.plan_text import (
    BARRIERS,
    OUTCOMES,
    Target,
    barriers_prompt,
    nearest,
    outcome_prompt,
    readable,
    recorded_text,
    targets,
    targets_text,
    toggle,
)
from bot.queries import explain, ref_argument
from schemas.api.appointments import AppointmentOutcome, AppointmentRead
from schemas.api.plans import DischargePlanRead, DischargePlanStatus

CHOOSING, OUTCOME, REASON, BARRIER = range(4)
assert capacity.REASON == REASON
STATE = "outcome"
PLANS_READ = 3  # the newest discharge plans whose follow-ups are offered
TARGET_PATTERN = r"^apt:(a:\d{1,19}|f:\d{1,19}:\d{1,19})$"
OUTCOME_PATTERN = r"^out:(att|can|wnb|dna)$"
BARRIER_PATTERN = r"^bar:(" + "|".join(BARRIERS) + r"|done)$"
NOT_ALLOWED = "liaison did not let you record that: recording an outcome needs a role that may assess."


def _state(context: Context) -> dict[str, Any] | None:
    return conversation_state(context, STATE)


def _end(context: Context) -> int:
    return end_conversation(context, STATE)


def _saved(target: Target) -> dict[str, Any]:
    """A target as plain JSON, as `bot.persistence` keeps it."""
    return {**asdict(target), "at": target.at.isoformat()}


def _target(state: dict[str, Any]) -> Target:
    saved = state["target"]
    return Target(**{**saved, "at": datetime.fromisoformat(saved["at"])})


def outcome_keyboard() -> InlineKeyboardMarkup:
    buttons = [InlineKeyboardButton(pair[0], callback_data=f"out:{code}") for code, pair in OUTCOMES.items()]
    return InlineKeyboardMarkup([buttons[:2], buttons[2:]])


def barrier_keyboard(chosen: list[str]) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(("✓ " if code in chosen else "") + label, callback_data=f"bar:{code}")
        for code, label in BARRIERS.items()
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    return InlineKeyboardMarkup([*rows, [InlineKeyboardButton("Done", callback_data="bar:done")]])


async def _gather(api: ChatApi, ref: str) -> list[Target]:
    appointments = await api.appointments(ref)
    overview = await api.plans(ref)
    plans = [
        await api.discharge_plan(ref, p.id)
        for p in overview.discharge_plans[:PLANS_READ]
        if p.status != DischargePlanStatus.superseded
    ]
    return targets(appointments, plans, now=datetime.now(UTC))


async def begin(update: Update, context: Context) -> int:
    api = chat_api(update, context)
    if api is None:
        await reply(update, PRIVATE_ONLY)
        return ConversationHandler.END
    ref = ref_argument(context)
    if ref is None:
        await reply(update, "Send /appointments followed by the case ref, e.g. /appointments YP-3KV98-VDSDS.")
        return _end(context)
    try:
        found = await _gather(api, ref)
    except ApiError as exc:
        await explain(update, exc, ref)
        return _end(context)
    if not found:
        await reply(update, targets_text(ref, found))
        return _end(context)
    shown = nearest(found, now=datetime.now(UTC))
    open_conversation(context, STATE, {"ref": ref, "targets": {t.data: _saved(t) for t in shown}})
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton(t.label, callback_data=t.data)] for t in shown])
    await reply(update, targets_text(ref, found), reply_markup=keyboard)
    return CHOOSING


async def chosen(update: Update, context: Context) -> int:
    query = update.callback_query
    state = _state(context)
    if query is None or query.data is None:
        return CHOOSING
    if state is None or query.data not in state["targets"]:
        await query.answer("That list is no longer open: send /appointments REF again.")
        return CHOOSING if state is not None else _end(context)
    state["target"] = state["targets"][query.data]
    await query.answer()
    target = _target(state)
    await query.edit_message_text(
        outcome_prompt(state["ref"], target, now=datetime.now(UTC)), reply_markup=outcome_keyboard()
    )
    return OUTCOME


async def outcome(update: Update, context: Context) -> int:
    query = update.callback_query
    state = _state(context)
    if query is None or query.data is None:
        return OUTCOME
    if state is None or "target" not in state:
        await query.answer("Nothing is being recorded: send /appointments REF again.")
        return _end(context)
    code = query.data.split(":", 1)[1]
    await query.answer()
    label, status = OUTCOMES[code]
    state["status"] = status
    if code == "dna":
        return await capacity.begin(update, context)
    state.pop("capacity", None)
    target = _target(state)
    await query.edit_message_text(f"{state['ref']}, {target.title}: {label.lower()}.", reply_markup=None)
    if code in ("att", "can"):
        return await _record(update, context, {"status": status})
    await reply(
        update,
        "Why was it missed, as far as is known? Type it (kept in liaison; never sent in an alert). "
        "/cancel to stop.",
    )
    return REASON


async def reason(update: Update, context: Context) -> int:
    state = _state(context)
    message = update.effective_message
    if state is None or message is None or not message.text:
        return _end(context)
    state["reason"] = message.text.strip()
    state["barriers"] = []
    await reply(update, barriers_prompt([]), reply_markup=barrier_keyboard([]))
    return BARRIER


async def barrier(update: Update, context: Context) -> int:
    query = update.callback_query
    state = _state(context)
    if query is None or query.data is None:
        return BARRIER
    if state is None or "reason" not in state:
        await query.answer("Nothing is being recorded: send /appointments REF again.")
        return _end(context)
    code = query.data.split(":", 1)[1]
    if code != "done":
        state["barriers"] = toggle(state["barriers"], code)
        await query.answer()
        await query.edit_message_text(
            barriers_prompt(state["barriers"]), reply_markup=barrier_keyboard(state["barriers"])
        )
        return BARRIER
    if not state["barriers"]:
        await query.answer("Choose at least one (Unknown if nobody knows yet).", show_alert=True)
        return BARRIER
    await query.answer()
    chosen_names = ", ".join(BARRIERS[b] for b in state["barriers"])
    await query.edit_message_text(f"Barriers: {chosen_names}", reply_markup=None)
    body = {"status": state["status"], "reason": state["reason"], "barriers": state["barriers"]}
    if state["status"] == "did_not_attend":
        body["capacity"] = state.get("capacity")
    return await _record(update, context, body)


def _told(target: Target, answer: AppointmentRead | DischargePlanRead) -> list[str]:
    """Who the API says was told of this miss (from the appointment, or the plan's follow-up)."""
    if isinstance(answer, DischargePlanRead):
        found = next((f for f in answer.follow_ups if f.id == target.id), None)
        missed = found.missed if found is not None else None
    else:
        missed = answer.missed
    if missed is None or missed.withdrawn_at:  # an earlier miss this outcome withdrew: nobody is told now
        return []
    return list(missed.told)


async def _record(update: Update, context: Context, body: dict[str, Any]) -> int:
    state = _state(context)
    api = chat_api(update, context)
    if state is None or api is None:
        return _end(context)
    ref, target = state["ref"], _target(state)
    answer: AppointmentRead | DischargePlanRead
    try:
        if target.kind == "f":
            assert target.plan_id is not None
            outcome = build(AppointmentOutcome, **body)
            answer = await api.follow_up_outcome(ref, target.plan_id, target.id, outcome)
        else:
            answer = await api.appointment_outcome(ref, target.id, build(AppointmentOutcome, **body))
    except NotLinked as exc:
        await explain(update, exc)
        return _end(context)
    except Refused:
        await reply(update, NOT_ALLOWED)
        return _end(context)
    except ApiError as exc:
        text = readable(exc.detail) if exc.status == 422 else exc.detail
        await reply(update, f"Not recorded.\n{text}")
        return _end(context)
    await reply(update, recorded_text(ref, target, body["status"], _told(target, answer)))
    return _end(context)


async def cancel(update: Update, context: Context) -> int:
    if _state(context) is not None:
        await reply(update, "Stopped: nothing was recorded.")
    return _end(context)


def conversation(*, persistent: bool = True) -> ConversationHandler[Any]:
    text = filters.TEXT & ~filters.COMMAND
    return ConversationHandler(
        entry_points=[CommandHandler("appointments", begin)],
        states={
            CHOOSING: [CallbackQueryHandler(chosen, pattern=TARGET_PATTERN)],
            OUTCOME: [CallbackQueryHandler(outcome, pattern=OUTCOME_PATTERN)],
            capacity.FRAMEWORK: [
                CallbackQueryHandler(capacity.framework, pattern=capacity.FRAMEWORK_PATTERN),
                CallbackQueryHandler(outcome, pattern=OUTCOME_PATTERN),  # was not brought instead
            ],
            capacity.COMPETENT: [CallbackQueryHandler(capacity.answered, pattern=capacity.YES_NO_PATTERN)],
            capacity.INFORMED: [CallbackQueryHandler(capacity.answered, pattern=capacity.YES_NO_PATTERN)],
            capacity.ASSESSED_ON: [
                CallbackQueryHandler(capacity.assessed_on, pattern=capacity.TODAY_PATTERN),
                MessageHandler(text, typed_for(STATE, capacity.assessed_on)),
            ],
            capacity.NOTE: [MessageHandler(text, typed_for(STATE, capacity.note))],
            REASON: [MessageHandler(text, typed_for(STATE, reason))],
            BARRIER: [CallbackQueryHandler(barrier, pattern=BARRIER_PATTERN)],
        },
        fallbacks=[CommandHandler(["cancel", "stop"], cancel), CommandHandler("appointments", begin)],
        name="appointment_outcome",
        allow_reentry=True,
        persistent=persistent,
    )
