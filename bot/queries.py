"""Questions a linked user asks about their own work: /pending, /case REF, /plan REF, /help."""

from __future__ import annotations

import re

from telegram import Update

from bot.client import ApiError, ChatApi, Missing, NotLinked, Refused
from bot.common import Context, chat_api, config, reply
from bot.formatting import HELP, NOT_LINKED, PRIVATE_ONLY, case_text, pending_text
from bot.plan_text import plan_text

REF = re.compile(r"^[A-Za-z0-9-]{1,32}$")


async def _linked(update: Update, context: Context) -> ChatApi | None:
    api = chat_api(update, context)
    if api is None:
        await reply(update, PRIVATE_ONLY)
    return api


async def explain(update: Update, exc: ApiError, ref: str | None = None) -> None:
    """Tell the user why the API said no, in a line that names nothing but the ref."""
    if isinstance(exc, NotLinked):
        await reply(update, NOT_LINKED)
    elif isinstance(exc, Refused | Missing) and ref is not None:
        await reply(update, f"{ref} is not a young person in your care teams (or the ref is wrong).")
    else:
        await reply(update, exc.detail)


def ref_argument(context: Context) -> str | None:
    if not context.args or not REF.match(context.args[0]):
        return None
    return context.args[0].upper()


async def help_command(update: Update, context: Context) -> None:
    api = await _linked(update, context)
    if api is None:
        return
    try:
        await api.me()
    except ApiError as exc:
        await explain(update, exc)
        return
    await reply(update, HELP)


async def pending(update: Update, context: Context) -> None:
    api = await _linked(update, context)
    if api is None:
        return
    try:
        page = await api.pending()
    except ApiError as exc:
        await explain(update, exc)
        return
    await reply(update, pending_text(page))


async def case(update: Update, context: Context) -> None:
    api = await _linked(update, context)
    if api is None:
        return
    ref = ref_argument(context)
    if ref is None:
        await reply(update, "Send /case followed by the case ref, e.g. /case YP-3KV98-VDSDS.")
        return
    detail = config(context).chat_detail
    try:
        me = await api.me()
        found = await api.notifications(young_person=ref)
        summaries = await api.assessments(ref)
        latest = await api.assessment(summaries[0].id) if summaries else None
        # The record itself (names, NHS number, birth date) is read only when CHAT_DETAIL allows a name.
        record = await api.young_person(ref) if detail == "named" else None
    except ApiError as exc:
        await explain(update, exc, ref)
        return
    text = case_text(
        ref=ref, notifications=found, username=me.username, assessment=latest, detail=detail, record=record
    )
    await reply(update, text)


async def plan(update: Update, context: Context) -> None:
    """/plan REF: the plans overview and the latest discharge plan, read through the API as the chat's user
    (audited `plans.read` and `discharge_plan.read`, via=bot). The safety plan's content is never read."""
    api = await _linked(update, context)
    if api is None:
        return
    ref = ref_argument(context)
    if ref is None:
        await reply(update, "Send /plan followed by the case ref, e.g. /plan YP-3KV98-VDSDS.")
        return
    detail = config(context).chat_detail
    try:
        overview = await api.plans(ref)
        plans = overview.discharge_plans  # newest first
        latest = await api.discharge_plan(ref, plans[0].id) if plans else None
        record = await api.young_person(ref) if detail == "named" else None
    except ApiError as exc:
        await explain(update, exc, ref)
        return
    await reply(update, plan_text(ref=ref, overview=overview, discharge=latest, detail=detail, record=record))
