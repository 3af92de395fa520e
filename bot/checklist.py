"""Completing a needs assessment from the phone: `/assess REF` asks the open questions one at a time.

Every answer is saved through the API at once (so its history says via=bot). "Where we are" (the current
question and the ones skipped) is in `context.user_data` under a persistent ConversationHandler, kept in
Redis by `bot.persistence` as JSON (the template's items as plain dicts): after a restart the next answer
carries on where it was, and once the state has expired `/assess REF` picks up from the answers the API
holds.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.client import ApiError, ChatApi, NotLinked
from bot.common import (
    Context,
    chat_api,
    conversation_state,
    end_conversation,
    open_conversation,
    reply,
    typed_for,
)
from bot.formatting import (
    PRIVATE_ONLY,
    Answer,
    choices,
    completed_text,
    missing_text,
    question_text,
)
from bot.queries import explain, ref_argument
from schemas.api.assessments import AssessmentRead
from schemas.checklists import Item, ItemType

ANSWERING, FORMULATING = range(2)
STATE = "assessment"
TYPED = (ItemType.text, ItemType.date)


def _state(context: Context) -> dict[str, Any] | None:
    return conversation_state(context, STATE)


def _end(context: Context) -> int:
    return end_conversation(context, STATE)


def _item(state: dict[str, Any], index: int) -> Item:
    return Item.model_validate(state["items"][index])


def _keyboard(index: int, item: Item) -> InlineKeyboardMarkup | None:
    options = choices(item)
    if not options:
        return None
    buttons = [
        InlineKeyboardButton(label[:60], callback_data=f"chk:{index}:{n}")
        for n, (label, _value) in enumerate(options)
    ]
    rows = [buttons[i : i + 4] for i in range(0, len(buttons), 4)] if item.type == ItemType.score else None
    return InlineKeyboardMarkup(rows or [[b] for b in buttons])


async def _ask_next(update: Update, context: Context, api: ChatApi, assessment: AssessmentRead) -> int:
    state = _state(context)
    assert state is not None
    ref = state["ref"]
    waiting = [i for i in assessment.open_items if i not in state["skipped"]]
    if waiting:
        index = state["order"][waiting[0]]
        item = _item(state, index)
        state["current"] = index
        await reply(update, question_text(item, left=len(waiting)), reply_markup=_keyboard(index, item))
        return ANSWERING
    if assessment.missing:
        await reply(update, missing_text(ref, assessment.missing))
        return _end(context)
    state["current"] = None
    await reply(
        update,
        f"Every question for {ref} is answered. Type your risk formulation (in your own words): sending it "
        "completes the assessment. /stop to pause.",
    )
    return FORMULATING


async def begin(update: Update, context: Context) -> int:
    api = chat_api(update, context)
    if api is None:
        await reply(update, PRIVATE_ONLY)
        return ConversationHandler.END
    ref = ref_argument(context)
    if ref is None:
        await reply(update, "Send /assess followed by the case ref, e.g. /assess YP-3KV98-VDSDS.")
        return _end(context)
    try:
        assessment = await api.open_or_start_assessment(ref)
        template = await api.template(assessment.template_id, assessment.template_version)
    except ApiError as exc:
        await explain(update, exc, ref)
        return _end(context)
    items = list(template.items)
    open_conversation(
        context,
        STATE,
        {
            "id": assessment.id,
            "ref": ref,
            "items": [item.model_dump(mode="json", by_alias=True) for item in items],
            "order": {item.link_id: n for n, item in enumerate(items)},
            "skipped": [],
            "current": None,
        },
    )
    answered = len(assessment.answers)
    await reply(update, f"Needs assessment for {ref} ({answered} answered so far).")
    return await _ask_next(update, context, api, assessment)


async def _save(update: Update, context: Context, value: Answer) -> int:
    """Save the current question's answer through the API, then ask the next one."""
    state = _state(context)
    api = chat_api(update, context)
    if state is None or api is None or state["current"] is None:
        return _end(context)
    item = _item(state, state["current"])
    try:
        await api.answer(state["id"], item.link_id, value)
        assessment = await api.assessment(state["id"])
    except NotLinked as exc:
        await explain(update, exc)
        return _end(context)
    except ApiError as exc:
        if exc.status == 422:  # the answer does not fit the item: say why and ask again
            await reply(update, exc.detail, reply_markup=_keyboard(state["current"], item))
            return ANSWERING
        await explain(update, exc, state["ref"])
        return _end(context)
    return await _ask_next(update, context, api, assessment)


async def pressed(update: Update, context: Context) -> int:
    query = update.callback_query
    state = _state(context)
    if query is None or query.data is None:
        return ANSWERING
    _, index, choice = query.data.split(":")
    if state is None or state["current"] != int(index):
        await query.answer("That question is no longer open.")
        return ANSWERING if state is not None else _end(context)
    item = _item(state, int(index))
    options = choices(item)
    if not 0 <= int(choice) < len(options):
        await query.answer("Not an answer to this question.")
        return ANSWERING
    label, value = options[int(choice)]
    await query.answer()
    await query.edit_message_text(f"{item.text}\nAnswer: {label}", reply_markup=None)
    return await _save(update, context, value)


async def typed(update: Update, context: Context) -> int:
    state = _state(context)
    message = update.effective_message
    if state is None or message is None or message.text is None or state["current"] is None:
        return _end(context)
    item = _item(state, state["current"])
    if item.type not in TYPED:
        await reply(update, "Please choose one of the buttons (or /skip, /stop).")
        return ANSWERING
    return await _save(update, context, message.text)


async def skip(update: Update, context: Context) -> int:
    state = _state(context)
    api = chat_api(update, context)
    if state is None or api is None or state["current"] is None:
        return _end(context)
    state["skipped"].append(_item(state, state["current"]).link_id)
    try:
        assessment = await api.assessment(state["id"])
    except ApiError as exc:
        await explain(update, exc, state["ref"])
        return _end(context)
    return await _ask_next(update, context, api, assessment)


async def formulation(update: Update, context: Context) -> int:
    state = _state(context)
    api = chat_api(update, context)
    message = update.effective_message
    if state is None or api is None or message is None or not message.text:
        return _end(context)
    try:
        completed = await api.complete(state["id"], message.text)
    except ApiError as exc:
        await explain(update, exc, state["ref"])
        return _end(context)
    await reply(update, completed_text(state["ref"], completed))
    return _end(context)


async def stop(update: Update, context: Context) -> int:
    state = _state(context)
    if state is not None:
        ref = state["ref"]
        await reply(update, f"Paused. Your answers are saved: /assess {ref} carries on from here.")
    return _end(context)


def conversation(*, persistent: bool = True) -> ConversationHandler[Any]:
    text = filters.TEXT & ~filters.COMMAND
    return ConversationHandler(
        entry_points=[CommandHandler("assess", begin)],
        states={
            ANSWERING: [
                CallbackQueryHandler(pressed, pattern=r"^chk:\d{1,4}:\d{1,4}$"),
                MessageHandler(text, typed_for(STATE, typed)),
                CommandHandler("skip", typed_for(STATE, skip)),
            ],
            FORMULATING: [MessageHandler(text, typed_for(STATE, formulation))],
        },
        fallbacks=[CommandHandler(["stop", "cancel"], stop), CommandHandler("assess", begin)],
        name="assessment",
        allow_reentry=True,
        persistent=persistent,
    )
