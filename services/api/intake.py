"""HTTP layer for intake from hospital systems: HL7 v2 messages, FHIR R4 Encounters and Appointments."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from schemas.settings import get_settings
from services.api.deps import CurrentPrincipal, SessionDep, bearer, get_principal
from services.intake import fhir, fhir_appointment, hl7, scheduling
from services.intake import service as intake
from services.kernel.audit import service as audit
from services.kernel.errors import Forbidden
from services.kernel.identity import Principal
from services.notifications import dispatch
from services.people import access

router = APIRouter(prefix="/api/v1", tags=["intake"])

HL7_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            hl7.MEDIA_TYPE: {"schema": {"type": "string"}},
            "text/plain": {"schema": {"type": "string"}},
        },
    }
}
ACK = {"content": {hl7.MEDIA_TYPE: {"schema": {"type": "string"}}}}
FHIR_JSON: dict[str, Any] = {"content": {fhir.MEDIA_TYPE: {}}}
OVERSIZE_PEEK = 4096  # of a message over the limit, what is read to quote its MSH in the ACK


def _deny(session: Session, principal: Principal, action: str) -> None:
    audit.record_refusal(session, actor=principal, action=action, via=principal.via)


@router.post(
    "/hl7/v2",
    response_class=Response,
    openapi_extra=HL7_BODY,
    responses={
        200: {"description": "The HL7 ACK: MSA-1 AA, AE or AR, MSA-2 the message's MSH-10", **ACK},
        400: {"description": "Not an HL7 v2 message at all: an ACK with AR", **ACK},
        413: {"description": "Larger than HL7_MAX_MESSAGE_BYTES: an ACK with AR", **ACK},
    },
)
async def receive_hl7(request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    """One HL7 v2 message (ER7, segments separated by carriage returns; newlines accepted).

    ADT A01 and A04 record an attendance, A03 ends it (a discharge plan is due), A13 reopens it, A08
    corrects it without alerting anyone again, A11 cancels it and tells everyone who was alerted. SIU S12
    books an appointment, S13/S14 move it, S15 cancels it, S17 deletes it (a booking made in error: a miss
    recorded of it is withdrawn) and S26 (the patient did not show) records it as
    was not brought, telling people as the missed-appointment rules say. Other types are answered AR. A
    repeat (same MSH-4 and MSH-10) gets the same ACK code and changes nothing.
    """
    if not access.may_record_attendance(principal):
        await run_in_threadpool(_deny, session, principal, "hl7.receive")
        raise Forbidden("your role may not record attendances")
    limit = get_settings().hl7_max_message_bytes
    raw, oversize = await _bounded_body(request, limit)
    if oversize:
        text = f"message larger than {limit} bytes"
        ack = hl7.oversize_ack(raw[:OVERSIZE_PEEK], limit) or hl7.ack(
            None, hl7.AckCode.reject, text=text, error_code="207"
        )
        return Response(ack, status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, media_type=hl7.MEDIA_TYPE)
    reply = await run_in_threadpool(intake.receive, session, raw=raw, actor=principal, via=principal.via)
    code = status.HTTP_400_BAD_REQUEST if reply.outcome == "not_hl7" else status.HTTP_200_OK
    return Response(reply.ack, code, media_type=hl7.MEDIA_TYPE)


async def _bounded_body(request: Request, limit: int) -> tuple[bytes, bool]:
    """The body, read no further than `limit` bytes, and whether it is larger. One that says (in its
    Content-Length) it is larger is read only far enough to quote its MSH segment in the ACK: to the end
    of the first chunk holding a segment end, at most OVERSIZE_PEEK bytes."""
    try:
        declared = int(request.headers.get("content-length", "0"))
    except ValueError:
        declared = 0
    oversize = declared > limit
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit or (oversize and (size > OVERSIZE_PEEK or b"\r" in chunk or b"\n" in chunk)):
            break  # too much already; or enough to quote the MSH segment of one that says it is too large
    return b"".join(chunks), oversize or size > limit


def _outcome(status_code: int, detail: str) -> JSONResponse:
    return JSONResponse(fhir.operation_outcome("error", detail), status_code, media_type=fhir.MEDIA_TYPE)


@router.post(
    "/fhir/Encounter",
    response_class=JSONResponse,
    openapi_extra={
        "requestBody": {"required": True, "content": {fhir.MEDIA_TYPE: {"schema": {"type": "object"}}}}
    },
    responses={
        201: {
            "description": "A new attendance: an OperationOutcome (information)",
            "content": {fhir.MEDIA_TYPE: {}},
        },
        200: {
            "description": "A repeat of the Encounter, or an NHS number not registered: an OperationOutcome",
            "content": {fhir.MEDIA_TYPE: {}},
        },
        400: {
            "description": "Not a valid FHIR R4 Encounter: an OperationOutcome",
            "content": {fhir.MEDIA_TYPE: {}},
        },
        422: {
            "description": "An Encounter liaison cannot use: an OperationOutcome",
            "content": {fhir.MEDIA_TYPE: {}},
        },
    },
)
async def receive_encounter(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> JSONResponse:
    """A FHIR R4 Encounter (class EMER or IMP; subject.identifier with system
    https://fhir.nhs.uk/Id/nhs-number; period.start; serviceProvider.identifier with an ODS code).

    Idempotent on the Encounter's identifier (else its id). Errors, 401 and 403 included, come back as an
    OperationOutcome.
    """
    raw = await request.body()
    return await run_in_threadpool(_encounter, request, session, credentials, raw)


def _fhir_caller(
    request: Request,
    session: Session,
    credentials: HTTPAuthorizationCredentials | None,
    action: str,
    refusal: str,
) -> Principal | JSONResponse:
    """Who sent a FHIR resource, or the OperationOutcome that turns them away (401; 403, audited)."""
    try:
        principal = get_principal(request, session, credentials, credentials, None)
    except HTTPException as exc:
        response = _outcome(exc.status_code, str(exc.detail))
        response.headers.update(exc.headers or {})
        return response
    if not access.may_record_attendance(principal):
        _deny(session, principal, action)
        return _outcome(status.HTTP_403_FORBIDDEN, refusal)
    return principal


def _encounter(
    request: Request, session: Session, credentials: HTTPAuthorizationCredentials | None, raw: bytes
) -> JSONResponse:
    caller = _fhir_caller(
        request, session, credentials, "fhir.encounter", "your role may not record attendances"
    )
    if isinstance(caller, JSONResponse):
        return caller
    principal = caller
    try:
        body = fhir.json_body(raw)
        data = fhir.attendance_from_encounter(body)
        withdrawn = fhir.is_withdrawn(body)
    except fhir.EncounterProblem as problem:
        audit.record(
            session,
            actor=principal,
            action="fhir.rejected",
            via=principal.via,
            outcome="refused",
            detail={"reason": problem.detail},
        )
        return _outcome(problem.status_code, problem.detail)
    if withdrawn:
        attendance_id, outcome = intake.cancel_encounter(session, data=data, actor=principal)
        answer = fhir.cancellation_outcome(attendance_id, outcome)
        return JSONResponse(answer, status.HTTP_200_OK, media_type=fhir.MEDIA_TYPE)
    recorded = intake.record_encounter(session, data=data, actor=principal)
    code = status.HTTP_201_CREATED if recorded.outcome == "recorded" else status.HTTP_200_OK
    return JSONResponse(fhir.accepted_outcome(recorded), code, media_type=fhir.MEDIA_TYPE)


@router.post(
    "/fhir/Appointment",
    response_class=JSONResponse,
    openapi_extra={
        "requestBody": {"required": True, "content": {fhir.MEDIA_TYPE: {"schema": {"type": "object"}}}}
    },
    responses={
        201: {"description": "A new appointment: an OperationOutcome (information)", **FHIR_JSON},
        200: {
            "description": "An update of a known appointment, a repeat, or an NHS number not registered: an "
            "OperationOutcome",
            **FHIR_JSON,
        },
        400: {"description": "Not a valid FHIR R4 Appointment: an OperationOutcome", **FHIR_JSON},
        422: {"description": "An Appointment liaison cannot use: an OperationOutcome", **FHIR_JSON},
    },
)
async def receive_appointment(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> JSONResponse:
    """A FHIR R4 Appointment (a participant's actor.identifier with system
    https://fhir.nhs.uk/Id/nhs-number; optionally one with an ODS code, the sending facility; start).

    booked (pending, proposed, waitlist) books or moves the appointment; arrived (checked-in, fulfilled)
    records it attended and withdraws a no-show recorded for it; cancelled (entered-in-error) cancels one
    still to come; noshow records it as was not brought ("did not arrive (reported by ...)", barriers
    unknown) and tells people as the missed-appointment rules say. Idempotent on the Appointment's
    identifier (else its id). Errors, 401 and 403 included, come back as an OperationOutcome.
    """
    raw = await request.body()
    return await run_in_threadpool(_appointment, request, session, credentials, raw)


def _appointment(
    request: Request, session: Session, credentials: HTTPAuthorizationCredentials | None, raw: bytes
) -> JSONResponse:
    caller = _fhir_caller(
        request, session, credentials, "fhir.appointment", "your role may not send appointments"
    )
    if isinstance(caller, JSONResponse):
        return caller
    principal = caller
    try:
        nhs_number, data = fhir_appointment.booking_from_appointment(fhir.json_body(raw))
    except fhir.EncounterProblem as problem:
        return _refused(session, principal, problem.status_code, problem.detail)
    for _attempt in (1, 2):  # two copies racing on the appointment's identifier: the loser tries again
        try:
            done = scheduling.apply(
                session, nhs_number=nhs_number, booking_data=data, actor=principal, via=principal.via
            )
            session.flush()  # a race on the identifier is met here, and retried
        except scheduling.Unusable as unusable:
            session.rollback()
            return _refused(session, principal, 422, unusable.reason)
        except IntegrityError:
            session.rollback()
            continue
        answer = fhir_appointment.answer(
            done.outcome,
            appointment_id=done.appointment_id,
            ref=done.young_person_ref,
            queued=dispatch.made(session),
        )
        code = status.HTTP_201_CREATED if done.created else status.HTTP_200_OK
        return JSONResponse(answer, code, media_type=fhir.MEDIA_TYPE)
    return _outcome(
        status.HTTP_409_CONFLICT, "the appointment changed while this was processed: send it again"
    )


def _refused(session: Session, principal: Principal, status_code: int, detail: str) -> JSONResponse:
    audit.record(
        session,
        actor=principal,
        action="fhir.rejected",
        via=principal.via,
        outcome="refused",
        detail={"reason": detail, "resource": "Appointment"},
    )
    return _outcome(status_code, detail)
