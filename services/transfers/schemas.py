"""Request and answer bodies for transfers between local authorities: they live in `schemas.api.transfers`,
shared with the bot."""

from schemas.api.transfers import (
    AcceptBody,
    CompleteBody,
    ItemRead,
    ReasonBody,
    TickCreate,
    TransferChange,
    TransferItem,
    TransferRead,
)

__all__ = [
    "AcceptBody",
    "CompleteBody",
    "ItemRead",
    "ReasonBody",
    "TickCreate",
    "TransferChange",
    "TransferItem",
    "TransferRead",
]
