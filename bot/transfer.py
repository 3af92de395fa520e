"""The transfer handover checklist from the phone: `/transfer REF`.

It shows the young person's live transfer between local authorities (else the newest) as the API's
checklist, and works it item by item: an item's button asks for a note (and, for the transfer-in
conference, its date) and ticks it through `POST /transfers/{id}/checklist/{item}`; Accept, Decline (with
the reason) and Complete go to the API's own routes. Who may do what (the receiving local authority's
lead or manager accepts, declines and completes; the API says what is outstanding) is the API's to
decide: a refusal is shown in its words. Notes and reasons are kept in liaison, never shown in chat.
Where we are is kept by `bot.persistence`, so a restart loses nothing.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.client import ApiError, ChatApi, NotLinked, build
from bot.common import (
    Context,
    chat_api,
    conversation_state,
    end_conversation,
    open_conversation,
    reply,
    typed_for,
)
from bot.discharge_text import refused_text
from bot.formatting import PRIVATE_ONLY
from bot.plan_text import day
from bot.queries import explain, ref_argument
from schemas.api.transfers import (
    AcceptBody,
    CompleteBody,
    ReasonBody,
    TickCreate,
    TransferItem,
    TransferRead,
)
from schemas.enums import TransferStatus

CHECKLIST, NOTE, DATE, REASON = range(4)
STATE = "transfer"
DATED = TransferItem.transfer_in_conference  # TickCreate: its date is required
ITEM_PATTERN = r"^trf:t:(" + "|".join(i.value for i in TransferItem) + r")$"
ACTION_PATTERN = r"^trf:(accept|decline|complete|show|done)$"


def _state(context: Context) -> dict[str, Any] | None:
    return conversation_state(context, STATE)


def _end(context: Context) -> int:
    return end_conversation(context, STATE)


def checklist_text(ref: str, transfer: TransferRead) -> str:
    lines = [
        f"Transfer {transfer.id} for {ref}: {transfer.from_la} to {transfer.to_la}, {transfer.status.value} "
        f"(responsible now: {transfer.responsible_now})"
    ]
    for item in transfer.checklist:
        need = "" if item.required else " (if it applies)"
        done = f" ({item.ticked_by}, {day(item.ticked_at)})" if item.done and item.ticked_by else ""
        dated = f", on {day(item.date)}" if item.date else ""
        lines.append(f"{'✓' if item.done else '✗'} {item.label}{need}{done}{dated}")
    if transfer.outstanding:
        lines.append(f"Outstanding: {len(transfer.outstanding)} required item(s).")
    elif transfer.status.live:
        lines.append("Nothing required is outstanding.")
    return "\n".join(lines)


def keyboard(transfer: TransferRead) -> InlineKeyboardMarkup | None:
    if not transfer.status.live:
        return None
    rows = [
        [InlineKeyboardButton(f"Tick: {item.label}"[:60], callback_data=f"trf:t:{item.item.value}")]
        for item in transfer.checklist
        if not item.done and item.item != TransferItem.accepted
    ]
    decide = (
        [("Accept", "accept"), ("Decline", "decline")]
        if transfer.status == TransferStatus.open
        else [("Complete the handover", "complete")]
    )
    rows.append([InlineKeyboardButton(t, callback_data=f"trf:{c}") for t, c in decide])
    rows.append(
        [
            InlineKeyboardButton(t, callback_data=f"trf:{c}")
            for t, c in (("Check again", "show"), ("Done", "done"))
        ]
    )
    return InlineKeyboardMarkup(rows)


async def _show(update: Update, context: Context, api: ChatApi, transfer: TransferRead | None = None) -> int:
    state = _state(context)
    assert state is not None
    try:
        transfer = transfer or await api.transfer(state["id"])
    except ApiError as exc:
        await explain(update, exc, state["ref"])
        return _end(context)
    await reply(update, checklist_text(state["ref"], transfer), reply_markup=keyboard(transfer))
    return CHECKLIST if transfer.status.live else _end(context)


async def begin(update: Update, context: Context) -> int:
    api = chat_api(update, context)
    if api is None:
        await reply(update, PRIVATE_ONLY)
        return ConversationHandler.END
    ref = ref_argument(context)
    if ref is None:
        await reply(update, "Send /transfer followed by the case ref, e.g. /transfer YP-3KV98-VDSDS.")
        return _end(context)
    try:
        found = await api.transfers(ref)  # newest first
    except ApiError as exc:
        await explain(update, exc, ref)
        return _end(context)
    if not found:
        await reply(update, f"{ref} has no transfer between local authorities.")
        return _end(context)
    transfer = next((t for t in found if t.status.live), found[0])
    open_conversation(context, STATE, {"ref": ref, "id": transfer.id})
    return await _show(update, context, api, transfer)


async def _send(update: Update, context: Context, what: str, call: Any) -> int:
    """Make one API call for the transfer; show the checklist it answers, or the refusal and then it."""
    state = _state(context)
    api = chat_api(update, context)
    if state is None or api is None:
        return _end(context)
    try:
        transfer = await call(api, state["id"])
    except NotLinked as exc:
        await explain(update, exc)
        return _end(context)
    except ApiError as exc:
        if exc.status in (403, 409, 422):
            await reply(update, refused_text(f"Not {what}.", exc.detail))
            return await _show(update, context, api)
        await explain(update, exc, state["ref"])
        return _end(context)
    await reply(update, f"{what.capitalize()}.")
    return await _show(update, context, api, transfer)


async def action(update: Update, context: Context) -> int:
    query = update.callback_query
    state = _state(context)
    api = chat_api(update, context)
    if query is None or query.data is None or api is None:
        return CHECKLIST
    if state is None:
        await query.answer("That checklist is no longer open: send /transfer REF again.")
        return _end(context)
    await query.answer()
    code = query.data.split(":", 1)[1]
    if code == "done":
        await reply(update, f"Closed. /transfer {state['ref']} shows it again.")
        return _end(context)
    if code == "show":
        return await _show(update, context, api)
    if code == "decline":
        await reply(
            update, "Why does your local authority decline it? Type the reason (kept in liaison). /stop"
        )
        return REASON
    if code == "accept":
        return await _send(update, context, "accepted", lambda a, t: a.accept_transfer(t, AcceptBody()))
    return await _send(update, context, "completed", lambda a, t: a.complete_transfer(t, CompleteBody()))


async def item(update: Update, context: Context) -> int:
    query = update.callback_query
    state = _state(context)
    if query is None or query.data is None:
        return CHECKLIST
    await query.answer()
    if state is None:
        return _end(context)
    state["item"] = query.data.split(":", 2)[2]
    await reply(update, "Type a note of what was done (kept in liaison; never shown in chat). /stop")
    return NOTE


def _typed(update: Update) -> str | None:
    message = update.effective_message
    return message.text.strip() if message is not None and message.text else None


async def note(update: Update, context: Context) -> int:
    state = _state(context)
    text = _typed(update)
    if state is None or text is None or "item" not in state:
        return _end(context)
    state["note"] = text
    if state["item"] == DATED:
        await reply(update, "On which date is the transfer-in conference? Type it as YYYY-MM-DD.")
        return DATE
    return await _tick(update, context)


async def date(update: Update, context: Context) -> int:
    state = _state(context)
    text = _typed(update)
    if state is None or text is None:
        return _end(context)
    try:
        build(TickCreate, note="-", date=text)
    except ApiError as exc:
        await reply(update, f"Not a date: {exc.detail}. Type it as YYYY-MM-DD.")
        return DATE
    state["date"] = text
    return await _tick(update, context)


async def _tick(update: Update, context: Context) -> int:
    state = _state(context)
    assert state is not None
    fields = {"note": state.pop("note"), "date": state.pop("date", None)}
    which = TransferItem(state.pop("item"))
    try:
        tick = build(TickCreate, **{k: v for k, v in fields.items() if v is not None})
    except ApiError as exc:
        await reply(update, refused_text("Not ticked.", exc.detail))
        return CHECKLIST
    return await _send(update, context, "ticked", lambda a, t: a.tick(t, which, tick))


async def reason(update: Update, context: Context) -> int:
    text = _typed(update)
    if text is None:
        return REASON
    try:
        body = build(ReasonBody, reason=text)
    except ApiError as exc:
        await reply(update, f"{exc.detail}: type the reason again.")
        return REASON
    return await _send(update, context, "declined", lambda a, t: a.decline_transfer(t, body))


async def stop(update: Update, context: Context) -> int:
    state = _state(context)
    if state is not None:
        await reply(update, f"Paused. Every tick is saved: /transfer {state['ref']} carries on.")
    return _end(context)


def conversation(*, persistent: bool = True) -> ConversationHandler[Any]:
    text = filters.TEXT & ~filters.COMMAND
    return ConversationHandler(
        entry_points=[CommandHandler("transfer", begin)],
        states={
            CHECKLIST: [
                CallbackQueryHandler(item, pattern=ITEM_PATTERN),
                CallbackQueryHandler(action, pattern=ACTION_PATTERN),
            ],
            NOTE: [MessageHandler(text, typed_for(STATE, note))],
            DATE: [MessageHandler(text, typed_for(STATE, date))],
            REASON: [MessageHandler(text, typed_for(STATE, reason))],
        },
        fallbacks=[CommandHandler(["stop", "cancel"], stop), CommandHandler("transfer", begin)],
        name="transfer",
        allow_reentry=True,
        persistent=persistent,
    )
