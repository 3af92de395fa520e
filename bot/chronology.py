"""`/chronology REF [N]`: the young person's last N events, one line each, and a button for older ones.

Read through `GET /young-people/{ref}/chronology` as the chat's user (access-checked; audited
`chronology.read`, via=bot, each page). A line is the time and the kind of event, in either CHAT_DETAIL
mode: an event's summary is never shown, as summaries hold clinical detail (an attendance's reasons),
sites and staff names, which no chat answer may carry. Under `named` the heading adds the young person's
name, as `/case` and `/plan` do (read through the API, audited). The answer ends with a link to the
chronology's web page. The button carries the ref and the page (`chr:REF:skip:n`), so it works after a
restart with no state kept.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.client import ApiError
from bot.common import Context, chat_api, config, reply
from bot.discharge_text import stamp
from bot.formatting import PRIVATE_ONLY
from bot.plan_text import fit, words
from bot.queries import REF, explain, ref_argument
from schemas.api.chronology import Chronology

SHOWN = 10  # events a page, unless N is given
MOST = 50
PATTERN = r"^chr:[A-Za-z0-9-]{1,32}:\d{1,6}:\d{1,2}$"


def page_text(found: Chronology, *, skip: int, count: int, web: str, name: str | None = None) -> str:
    """Events `skip` to `skip + count` back from the newest, oldest of them first; `name` only under
    CHAT_DETAIL=named."""
    events = found.events  # oldest first
    total = len(events)
    title = f"{found.ref} ({name})" if name else found.ref
    if total == 0:
        return f"Chronology of {title}: nothing recorded yet.\n{web}"
    end = max(total - skip, 0)
    shown = events[max(end - count, 0) : end]
    first = end - len(shown) + 1
    lines = [f"Chronology of {title}: events {first}-{end} of {total} (times in UTC)"]
    lines += [f"{stamp(event.at).removesuffix(' UTC')} {words(event.kind)}" for event in shown]
    lines.append(f"The whole chronology: {web}")
    return fit("\n".join(lines), f"The whole chronology: {web}")


def older_button(ref: str, *, skip: int, count: int, total: int) -> InlineKeyboardMarkup | None:
    following = skip + count
    if following >= total:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton("Older events", callback_data=f"chr:{ref}:{following}:{count}")]]
    )


async def _answer(update: Update, context: Context, ref: str, skip: int, count: int) -> None:
    api = chat_api(update, context)
    if api is None:
        await reply(update, PRIVATE_ONLY)
        return
    settings = config(context)
    try:
        found = await api.chronology(ref)
        record = await api.young_person(ref) if settings.chat_detail == "named" else None
    except ApiError as exc:
        await explain(update, exc, ref)
        return
    web = f"{settings.public_base_url}/young-people/{found.ref}/chronology"
    name = f"{record.given_name} {record.family_name}" if record is not None else None
    text = page_text(found, skip=skip, count=count, web=web, name=name)
    markup = older_button(found.ref, skip=skip, count=count, total=len(found.events))
    await reply(update, text, reply_markup=markup)


async def chronology(update: Update, context: Context) -> None:
    ref = ref_argument(context)
    args = context.args or []
    count = int(args[1]) if len(args) > 1 and args[1].isdigit() else SHOWN
    if ref is None or not 1 <= count <= MOST:
        await reply(
            update,
            f"Send /chronology followed by the case ref and how many events (1 to {MOST}, default {SHOWN}), "
            "e.g. /chronology YP-3KV98-VDSDS 20.",
        )
        return
    await _answer(update, context, ref, 0, count)


async def older(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    await query.answer()
    _, ref, skip, count = query.data.split(":")
    if not REF.match(ref) or not 1 <= int(count) <= MOST:
        return
    await _answer(update, context, ref, int(skip), int(count))
