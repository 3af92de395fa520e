"""The discharge plan's checklist from the phone: `/discharge REF`.

It shows the latest discharge plan (or offers a new draft) as a checklist and works it item by item with
buttons and short answers: the care coordinator (from the care team), a follow-up (team, named owner, date
and time, place; the API says whether it meets the first-contact target), the review date, the crisis
plan, an out-of-hours contact, whether a care plan and a safety plan exist, then Issue. Every change is
saved through the API at once, as the chat's user (`PATCH .../discharge-plans/{id}`, `POST .../follow-ups`,
`POST .../issue`), so access, validation, readiness and the audit (via=bot) are the API's; a refusal is
shown in the API's words. Where we are is kept by `bot.persistence`, so a restart loses nothing.
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

from bot.client import ApiError, ChatApi, NotLinked, build
from bot.common import (
    Context,
    chat_api,
    config,
    conversation_state,
    end_conversation,
    open_conversation,
    reply,
    typed_for,
)
from bot.discharge_text import (
    checklist_text,
    follow_up_text,
    issued_text,
    member_label,
    not_draft_text,
    parse_when,
    refused_text,
    teams,
)
from bot.formatting import PRIVATE_ONLY
from bot.queries import explain, ref_argument
from schemas.api.plans import DischargePlanRead, DischargePlanStatus, DischargePlanUpdate, FollowUpCreate

CHECKLIST, COORDINATOR, FU_TEAM, FU_OWNER, FU_WHEN, FU_WHERE, REVIEW, CRISIS, OOH_NAME, OOH_PHONE = range(10)
STATE = "discharge"
MENU = [
    [("Care coordinator", "cc"), ("Add follow-up", "fu")],
    [("Review date", "rev"), ("Crisis plan", "cri")],
    [("Out-of-hours contact", "ooh"), ("Check again", "show")],
    [("Issue", "issue"), ("Done", "done")],
]
MENU_PATTERN = r"^dis:(new|cc|fu|rev|cri|ooh|show|issue|done)$"


def _state(context: Context) -> dict[str, Any] | None:
    return conversation_state(context, STATE)


def _end(context: Context) -> int:
    return end_conversation(context, STATE)


def _keyboard(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d) for t, d in row] for row in rows])


def _menu() -> InlineKeyboardMarkup:
    return _keyboard([[(text, f"dis:{code}") for text, code in row] for row in MENU])


def _web(context: Context, ref: str) -> str:
    return f"{config(context).public_base_url}/young-people/{ref}/plans"


async def _refused(update: Update, exc: ApiError, what: str, ref: str) -> None:
    if exc.status in (409, 422):
        await reply(update, refused_text(what, exc.detail))
    elif exc.status == 403:
        await reply(update, f"{what}\nliaison refused: {exc.detail}")
    else:
        await explain(update, exc, ref)


async def _show(update: Update, context: Context, api: ChatApi, plan: DischargePlanRead | None = None) -> int:
    """The checklist as the API holds it now, with its buttons."""
    state = _state(context)
    assert state is not None
    ref = state["ref"]
    try:
        overview = await api.plans(ref)
        plan = plan or await api.discharge_plan(ref, state["plan_id"])
    except ApiError as exc:
        await explain(update, exc, ref)
        return _end(context)
    if plan.status != DischargePlanStatus.draft:
        await reply(update, not_draft_text(ref, plan))
        return _end(context)
    await reply(update, checklist_text(ref, plan, overview, _web(context, ref)), reply_markup=_menu())
    return CHECKLIST


async def begin(update: Update, context: Context) -> int:
    api = chat_api(update, context)
    if api is None:
        await reply(update, PRIVATE_ONLY)
        return ConversationHandler.END
    ref = ref_argument(context)
    if ref is None:
        await reply(update, "Send /discharge followed by the case ref, e.g. /discharge YP-3KV98-VDSDS.")
        return _end(context)
    try:
        overview = await api.plans(ref)
        latest = overview.discharge_plans[0] if overview.discharge_plans else None
        plan = await api.discharge_plan(ref, latest.id) if latest else None
    except ApiError as exc:
        await explain(update, exc, ref)
        return _end(context)
    open_conversation(context, STATE, {"ref": ref, "plan_id": plan.id if plan else None})
    if plan is None or plan.status != DischargePlanStatus.draft:
        start = _keyboard([[("Start a new draft", "dis:new"), ("Done", "dis:done")]])
        await reply(update, not_draft_text(ref, plan), reply_markup=start)
        return CHECKLIST
    return await _show(update, context, api, plan)


async def _change(update: Update, context: Context, what: str, **fields: Any) -> int:
    """Save fields of the draft through the API and show the checklist again (or the refusal, then it)."""
    state = _state(context)
    api = chat_api(update, context)
    if state is None or api is None:
        return _end(context)
    try:
        plan = await api.update_discharge_plan(
            state["ref"], state["plan_id"], build(DischargePlanUpdate, **fields)
        )
    except NotLinked as exc:
        await explain(update, exc)
        return _end(context)
    except ApiError as exc:
        await _refused(update, exc, "Not changed.", state["ref"])
        return await _show(update, context, api)
    await reply(update, f"{what} saved.")
    return await _show(update, context, api, plan)


async def menu(update: Update, context: Context) -> int:
    query = update.callback_query
    state = _state(context)
    api = chat_api(update, context)
    if query is None or query.data is None or api is None:
        return CHECKLIST
    if state is None:
        await query.answer("That checklist is no longer open: send /discharge REF again.")
        return _end(context)
    await query.answer()
    code = query.data.split(":", 1)[1]
    ref = state["ref"]
    if code == "done":
        await reply(update, f"Closed. Everything is saved: /discharge {ref} carries on from here.")
        return _end(context)
    if code == "new":
        try:
            plan = await api.draft_discharge_plan(ref)
        except ApiError as exc:
            await _refused(update, exc, "No draft started.", ref)
            return _end(context)
        state["plan_id"] = plan.id
        return await _show(update, context, api, plan)
    if state.get("plan_id") is None:  # a button of an older message: there is no draft to work on yet
        start = _keyboard([[("Start a new draft", "dis:new"), ("Done", "dis:done")]])
        await reply(update, not_draft_text(ref, None), reply_markup=start)
        return CHECKLIST
    if code == "show":
        return await _show(update, context, api)
    if code == "issue":
        return await _issue(update, context, api)
    if code in ("cc", "fu"):
        return await _choose_member(update, context, api, code)
    prompts = {
        "rev": ("Type the review date as YYYY-MM-DD (e.g. 2027-02-01).", REVIEW),
        "cri": ("Type the crisis plan (kept in liaison; never shown in chat).", CRISIS),
        "ooh": (
            "Who is the out-of-hours contact? Type the name or service (e.g. CAMHS crisis line).",
            OOH_NAME,
        ),
    }
    text, step = prompts[code]
    await reply(update, text + " /stop to pause.")
    return step


async def _choose_member(update: Update, context: Context, api: ChatApi, code: str) -> int:
    state = _state(context)
    assert state is not None
    try:
        members = await api.care_team(state["ref"])
    except ApiError as exc:
        await explain(update, exc, state["ref"])
        return _end(context)
    state["members"] = [[m.username, m.team] for m in members]
    if code == "cc":
        rows = [[(member_label(m)[:60], f"dcc:{n}")] for n, m in enumerate(members)]
        await reply(
            update, "Who is the care coordinator? Choose from the care team.", reply_markup=_keyboard(rows)
        )
        return COORDINATOR
    state["teams"] = teams(members)
    rows = [[(team, f"dft:{n}")] for n, team in enumerate(state["teams"])]
    await reply(update, "Which team owns the follow-up?", reply_markup=_keyboard(rows))
    return FU_TEAM


def _pick(update: Update, state: dict[str, Any] | None, key: str) -> Any:
    query = update.callback_query
    if state is None or query is None or query.data is None:
        return None
    choice = query.data.split(":", 1)[1]
    options = state.get(key) or []
    return options[int(choice)] if choice.isdigit() and int(choice) < len(options) else None


async def coordinator(update: Update, context: Context) -> int:
    state = _state(context)
    picked = _pick(update, state, "members")
    if update.callback_query is not None:
        await update.callback_query.answer()
    if picked is None:
        return COORDINATOR if state is not None else _end(context)
    return await _change(update, context, f"Care coordinator {picked[0]}", care_coordinator=picked[0])


async def follow_up_team(update: Update, context: Context) -> int:
    state = _state(context)
    team = _pick(update, state, "teams")
    if update.callback_query is not None:
        await update.callback_query.answer()
    if state is None or team is None:
        return FU_TEAM if state is not None else _end(context)
    state["follow_up"] = {"owner_team": team}
    owners = [m[0] for m in state["members"] if m[1] == team]
    state["owners"] = owners
    rows = [[(name, f"dfo:{n}")] for n, name in enumerate(owners)] + [[("No named owner", "dfo:none")]]
    await reply(update, f"Who in {team} owns it?", reply_markup=_keyboard(rows))
    return FU_OWNER


async def follow_up_owner(update: Update, context: Context) -> int:
    state = _state(context)
    query = update.callback_query
    if query is not None:
        await query.answer()
    if state is None or "follow_up" not in state or query is None:
        return _end(context)
    owner = None if query.data == "dfo:none" else _pick(update, state, "owners")
    state["follow_up"]["owner"] = owner
    await reply(update, "When? Type the date and time in UTC as YYYY-MM-DD HH:MM (e.g. 2026-12-05 14:30).")
    return FU_WHEN


async def follow_up_when(update: Update, context: Context) -> int:
    state = _state(context)
    message = update.effective_message
    if state is None or "follow_up" not in state or message is None or not message.text:
        return _end(context)
    at = parse_when(message.text)
    if at is None:
        await reply(update, "That is not a date and time: type it as YYYY-MM-DD HH:MM (UTC).")
        return FU_WHEN
    state["follow_up"]["at"] = at.isoformat()
    await reply(update, "Where? Type the place (kept in liaison; never shown in chat).")
    return FU_WHERE


async def follow_up_where(update: Update, context: Context) -> int:
    state = _state(context)
    api = chat_api(update, context)
    message = update.effective_message
    if state is None or api is None or "follow_up" not in state or message is None or not message.text:
        return _end(context)
    fields = {**state.pop("follow_up"), "location": message.text}
    try:
        request = build(FollowUpCreate, **{k: v for k, v in fields.items() if v is not None})
        plan = await api.add_follow_up(state["ref"], state["plan_id"], request)
    except NotLinked as exc:
        await explain(update, exc)
        return _end(context)
    except ApiError as exc:
        await _refused(update, exc, "No follow-up added.", state["ref"])
        return await _show(update, context, api)
    await reply(update, follow_up_text(state["ref"], plan, request.at))
    return await _show(update, context, api, plan)


def _typed(update: Update) -> str | None:
    message = update.effective_message
    return message.text.strip() if message is not None and message.text else None


async def review(update: Update, context: Context) -> int:
    text = _typed(update)
    if text is None:
        return REVIEW
    try:
        build(DischargePlanUpdate, review_date=text)
    except ApiError as exc:
        await reply(update, f"Not a date: {exc.detail}. Type it as YYYY-MM-DD.")
        return REVIEW
    return await _change(update, context, "Review date", review_date=text)


async def crisis(update: Update, context: Context) -> int:
    text = _typed(update)
    if text is None:
        return CRISIS
    return await _change(update, context, "Crisis plan (not shown in chat)", crisis_plan=text)


async def ooh_name(update: Update, context: Context) -> int:
    state = _state(context)
    text = _typed(update)
    if state is None or text is None:
        return _end(context)
    state["ooh"] = {"name": text}
    await reply(update, "Their phone number? Type it, or /skip.")
    return OOH_PHONE


async def ooh_phone(update: Update, context: Context) -> int:
    state = _state(context)
    api = chat_api(update, context)
    if state is None or api is None or "ooh" not in state:
        return _end(context)
    contact = state.pop("ooh")
    text = _typed(update)
    if text is not None and not text.startswith("/"):
        contact["phone"] = text
    try:
        plan = await api.discharge_plan(state["ref"], state["plan_id"])
    except ApiError as exc:
        await explain(update, exc, state["ref"])
        return _end(context)
    contacts = [c.model_dump(exclude_none=True) for c in plan.out_of_hours_contacts] + [contact]
    return await _change(
        update, context, "Out-of-hours contact (not shown in chat)", out_of_hours_contacts=contacts
    )


async def _issue(update: Update, context: Context, api: ChatApi) -> int:
    state = _state(context)
    assert state is not None
    try:
        plan = await api.issue_discharge_plan(state["ref"], state["plan_id"])
    except NotLinked as exc:
        await explain(update, exc)
        return _end(context)
    except ApiError as exc:
        await _refused(update, exc, "Not issued.", state["ref"])
        return await _show(update, context, api)
    await reply(update, issued_text(state["ref"], plan))
    return _end(context)


async def stop(update: Update, context: Context) -> int:
    state = _state(context)
    if state is not None:
        await reply(update, f"Paused. Everything is saved: /discharge {state['ref']} carries on from here.")
    return _end(context)


def conversation(*, persistent: bool = True) -> ConversationHandler[Any]:
    text = filters.TEXT & ~filters.COMMAND
    return ConversationHandler(
        entry_points=[CommandHandler("discharge", begin)],
        states={
            CHECKLIST: [CallbackQueryHandler(menu, pattern=MENU_PATTERN)],
            COORDINATOR: [CallbackQueryHandler(coordinator, pattern=r"^dcc:\d{1,3}$")],
            FU_TEAM: [CallbackQueryHandler(follow_up_team, pattern=r"^dft:\d{1,3}$")],
            FU_OWNER: [CallbackQueryHandler(follow_up_owner, pattern=r"^dfo:(\d{1,3}|none)$")],
            FU_WHEN: [MessageHandler(text, typed_for(STATE, follow_up_when))],
            FU_WHERE: [MessageHandler(text, typed_for(STATE, follow_up_where))],
            REVIEW: [MessageHandler(text, typed_for(STATE, review))],
            CRISIS: [MessageHandler(text, typed_for(STATE, crisis))],
            OOH_NAME: [MessageHandler(text, typed_for(STATE, ooh_name))],
            OOH_PHONE: [
                MessageHandler(text, typed_for(STATE, ooh_phone)),
                CommandHandler("skip", typed_for(STATE, ooh_phone)),
            ],
        },
        fallbacks=[CommandHandler(["stop", "cancel"], stop), CommandHandler("discharge", begin)],
        name="discharge",
        allow_reentry=True,
        persistent=persistent,
    )
