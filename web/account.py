"""My account: who I am in liaison and my API tokens, each of which I may revoke (a lost laptop, a script
no longer used). The same rule (`rules.may_manage_tokens`, through `guards.token_owner`) and command
(`tokens.revoke`) as the API's `/api/v1/users/{me}/tokens`, via=web."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.kernel.audit import service as audit
from services.kernel.clock import utcnow
from services.staff import guards, tokens
from services.staff import service as staff
from web.deps import CsrfChecked, SessionDep, WebPrincipal
from web.templating import render

router = APIRouter(prefix="/account", include_in_schema=False)
TokenId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("", response_class=HTMLResponse)
def account_page(request: Request, session: SessionDep, principal: WebPrincipal) -> Response:
    me = guards.token_owner(session, actor=principal, username=principal.username, action="token.list")
    now = utcnow()
    owned = [tokens.to_read(t, now=now) for t in tokens.of(session, user=me)]
    audit.record(
        session, actor=principal, action="token.list", via=principal.via, detail={"username": me.username}
    )
    context = {"me": staff.to_read(me), "tokens": owned, "revoked": request.query_params.get("revoked")}
    return render(request, "account.html", context)


@router.post("/tokens/{token_id}/revoke", dependencies=[CsrfChecked])
def revoke_token(token_id: TokenId, session: SessionDep, principal: WebPrincipal) -> Response:
    me = guards.token_owner(session, actor=principal, username=principal.username, action="token.revoked")
    tokens.revoke(session, user=me, actor=principal, via=principal.via, token_id=token_id)
    return RedirectResponse(f"/account?revoked={token_id}", status_code=303)
