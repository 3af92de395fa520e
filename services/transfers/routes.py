"""HTTP layer for transfers between local authorities."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from sqlalchemy.orm import Session

from services.audit import service as audit
from services.clock import utcnow
from services.deps import CurrentPrincipal, SessionDep, young_person_dependency
from services.errors import Forbidden
from services.people import access
from services.people import service as people
from services.people.access import Principal
from services.people.models import YoungPerson
from services.transfers import service as transfers
from services.transfers import views
from services.transfers.models import Transfer
from services.transfers.rules import TransferItem
from services.transfers.schemas import AcceptBody, CompleteBody, ReasonBody, TickCreate, TransferRead

router = APIRouter(prefix="/api/v1", tags=["transfers"])

Viewable = Annotated[YoungPerson, Depends(young_person_dependency(access.may_view, "transfer.list"))]
TransferId = Annotated[int, Path(ge=1)]


def _transfer(
    session: Session,
    principal: Principal,
    transfer_id: int,
    action: str,
    decides: Callable[[Principal, Transfer], bool] | None = None,
) -> Transfer:
    """Load the transfer; the caller must be able to see the young person, and for a decision be of the
    local authority that makes it. Every refusal is audited."""
    transfer = transfers.get(session, transfer_id=transfer_id)
    people.authorise(
        session,
        principal=principal,
        young_person=transfer.young_person,
        rule=access.may_view,
        action=action,
        via=principal.via,
    )
    if decides is not None and not decides(principal, transfer):
        audit.record_refusal(
            session,
            actor=principal,
            action=action,
            via=principal.via,
            ref=transfer.young_person.ref,
            outcome="denied",
            detail={"transfer_id": transfer.id},
        )
        raise Forbidden(f"only a safeguarding lead or team manager of the local authority may {action[9:]}")
    return transfer


def _receiving(principal: Principal, transfer: Transfer) -> bool:
    return access.may_accept_transfer(principal, to_la=transfer.to_la)


def _sending(principal: Principal, transfer: Transfer) -> bool:
    return access.may_withdraw_transfer(principal, from_la=transfer.from_la)


@router.get(
    "/young-people/{ref}/transfers",
    response_model=list[TransferRead],
    summary="A young person's transfers between local authorities, newest first",
)
def list_transfers(
    session: SessionDep, principal: CurrentPrincipal, young_person: Viewable
) -> list[TransferRead]:
    found = transfers.list_for(session, young_person_id=young_person.id)
    audit.record(session, actor=principal, action="transfer.list", via=principal.via, ref=young_person.ref)
    return [views.to_read(session, transfer=t) for t in found]


@router.get(
    "/transfers/{transfer_id}", response_model=TransferRead, summary="One transfer, with what is outstanding"
)
def read(transfer_id: TransferId, session: SessionDep, principal: CurrentPrincipal) -> TransferRead:
    transfer = _transfer(session, principal, transfer_id, "transfer.read")
    audit.record(
        session,
        actor=principal,
        action="transfer.read",
        via=principal.via,
        ref=transfer.young_person.ref,
        detail={"transfer_id": transfer.id},
    )
    return views.to_read(session, transfer=transfer)


@router.post(
    "/transfers/{transfer_id}/checklist/{item}",
    response_model=TransferRead,
    summary="Tick a handover item, with a note (and the date, for the transfer-in conference)",
)
def tick(
    transfer_id: TransferId,
    item: TransferItem,
    body: TickCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> TransferRead:
    transfer = _transfer(session, principal, transfer_id, "transfer.tick")
    transfers.tick(
        session,
        transfer=transfer,
        item=item,
        note=body.note,
        on=body.date,
        actor=principal,
        via=principal.via,
        now=utcnow(),
    )
    return views.to_read(session, transfer=transfer)


@router.post(
    "/transfers/{transfer_id}/accept",
    response_model=TransferRead,
    summary="The receiving local authority accepts (its safeguarding lead or a team manager)",
)
def accept(
    transfer_id: TransferId, body: AcceptBody, session: SessionDep, principal: CurrentPrincipal
) -> TransferRead:
    transfer = _transfer(session, principal, transfer_id, "transfer.accept", _receiving)
    transfers.accept(
        session, transfer=transfer, note=body.note, actor=principal, via=principal.via, now=utcnow()
    )
    return views.to_read(session, transfer=transfer)


@router.post(
    "/transfers/{transfer_id}/decline",
    response_model=TransferRead,
    summary="The receiving local authority declines, with its reason; the sending one keeps responsibility",
)
def decline(
    transfer_id: TransferId, body: ReasonBody, session: SessionDep, principal: CurrentPrincipal
) -> TransferRead:
    transfer = _transfer(session, principal, transfer_id, "transfer.decline", _receiving)
    transfers.decline(
        session, transfer=transfer, reason=body.reason, actor=principal, via=principal.via, now=utcnow()
    )
    return views.to_read(session, transfer=transfer)


@router.post(
    "/transfers/{transfer_id}/withdraw",
    response_model=TransferRead,
    summary="The sending local authority withdraws the transfer, with its reason",
)
def withdraw(
    transfer_id: TransferId, body: ReasonBody, session: SessionDep, principal: CurrentPrincipal
) -> TransferRead:
    transfer = _transfer(session, principal, transfer_id, "transfer.withdraw", _sending)
    transfers.withdraw(
        session, transfer=transfer, reason=body.reason, actor=principal, via=principal.via, now=utcnow()
    )
    return views.to_read(session, transfer=transfer)


@router.post(
    "/transfers/{transfer_id}/complete",
    response_model=TransferRead,
    summary="The receiving local authority completes the handover (409 naming what is outstanding)",
    responses={409: {"description": "Not accepted yet, or required handover items outstanding (named)"}},
)
def complete(
    transfer_id: TransferId, body: CompleteBody, session: SessionDep, principal: CurrentPrincipal
) -> TransferRead:
    transfer = _transfer(session, principal, transfer_id, "transfer.complete", _receiving)
    transfers.complete(
        session, transfer=transfer, note=body.note, actor=principal, via=principal.via, now=utcnow()
    )
    return views.to_read(session, transfer=transfer)
