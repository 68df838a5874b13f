"""HTTP for connections: Adline's `/network_connections` and whop-sdk 2.6.0's
`/external_accounts`. Parse, call one service function, render (docs/connections.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from adline.auth import scopes
from adline.auth.dependencies import Authenticated, ClockDep, SessionDep
from adline.auth.service import Principal
from adline.connections import external_accounts as accounts
from adline.connections import service
from adline.connections.checker import ConnectionChecker
from adline.connections.schemas import (
    ConnectAnswer,
    DeletedObject,
    ExternalAccountConnect,
    ExternalAccountCreate,
    ExternalAccountList,
    ExternalAccountObject,
    ExternalAccountRefresh,
    LeadFormList,
    ListPlatform,
    NetworkConnectionCreate,
    NetworkConnectionList,
    NetworkConnectionObject,
    NetworkConnectionUpdate,
    PartnerCreate,
    PostList,
    Scope,
    TrustLevel,
)
from adline.core.errors import InvalidRequest
from adline.core.http import json_body, render, render_deleted, render_list
from adline.core.pagination import Direction, PageRequest, page_params

CanRead = Annotated[Principal, Authenticated(scopes.SOCIAL_ACCOUNT_READ)]
CanCreate = Annotated[Principal, Authenticated(scopes.SOCIAL_ACCOUNT_CREATE)]
CanDelete = Annotated[Principal, Authenticated(scopes.SOCIAL_ACCOUNT_DELETE)]


def checker_of(request: Request) -> ConnectionChecker:
    """The app's token checker (`app.state.connection_checker`, set by `create_app`)."""
    checker: ConnectionChecker = request.app.state.connection_checker
    return checker


# --- /network_connections (Adline's extension) --------------------------------------------

connections_router = APIRouter(prefix="/network_connections", tags=["network_connections"])
CONNECTION = "network_connection"


@connections_router.post(
    "", response_model=NetworkConnectionObject, summary="Connect a network account (token checked)"
)
async def create_connection(
    request: Request,
    principal: CanCreate,
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[
        NetworkConnectionCreate, Depends(json_body(NetworkConnectionCreate, f"{CONNECTION}.create"))
    ],
) -> JSONResponse:
    connection = await service.create_connection(
        session, clock, principal, checker_of(request), request.app.state.token_cipher, body
    )
    return render(request, CONNECTION, service.connection_object(connection))


@connections_router.get("", response_model=NetworkConnectionList, summary="List connections")
async def list_connections(
    request: Request,
    principal: CanRead,
    session: SessionDep,
    page: Annotated[PageRequest, Depends(page_params)],
    account_id: str | None = None,
    order: Literal["created_at"] = "created_at",
    direction: Direction = "desc",
) -> JSONResponse:
    del order  # the only order there is
    result = await service.list_connections(
        session, principal, account_id=account_id, page=page, direction=direction
    )
    items = [service.connection_object(connection) for connection in result.items]
    return render_list(request, CONNECTION, items, result.page_info)


@connections_router.get(
    "/{connection_id}", response_model=NetworkConnectionObject, summary="Retrieve a connection"
)
async def retrieve_connection(
    request: Request, connection_id: str, principal: CanRead, session: SessionDep
) -> JSONResponse:
    connection = await service.get_connection(session, principal.company_id, connection_id)
    return render(request, CONNECTION, service.connection_object(connection))


@connections_router.patch(
    "/{connection_id}",
    response_model=NetworkConnectionObject,
    summary="Replace a connection's token or page (fixes a broken connection)",
)
async def update_connection(
    request: Request,
    connection_id: str,
    principal: CanCreate,
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[
        NetworkConnectionUpdate, Depends(json_body(NetworkConnectionUpdate, f"{CONNECTION}.update"))
    ],
) -> JSONResponse:
    connection = await service.update_connection(
        session,
        clock,
        principal,
        checker_of(request),
        request.app.state.token_cipher,
        connection_id,
        body,
    )
    return render(request, CONNECTION, service.connection_object(connection))


@connections_router.delete(
    "/{connection_id}", response_model=DeletedObject, summary="Remove a connection and its token"
)
async def delete_connection(
    request: Request, connection_id: str, principal: CanDelete, session: SessionDep, clock: ClockDep
) -> JSONResponse:
    deleted_id = await service.delete_connection(session, clock, principal, connection_id)
    return render_deleted(request, CONNECTION, deleted_id)


# --- /external_accounts (whop-sdk 2.6.0) ---------------------------------------------------

external_router = APIRouter(prefix="/external_accounts", tags=["external_accounts"])
ACCOUNT = "external_account"


def _no_user_profiles(request: Request) -> None:
    if "user_id" in request.query_params:
        raise InvalidRequest(
            "Invalid value for user_id: Adline keeps external accounts per account (biz_); "
            "send account_id.",
            param="user_id",
        )


@external_router.get("", response_model=ExternalAccountList, summary="List external accounts")
async def list_external_accounts(
    request: Request,
    principal: CanRead,
    session: SessionDep,
    page: Annotated[PageRequest, Depends(page_params)],
    account_id: str | None = None,
    platform: ListPlatform | None = None,
    trust_level: TrustLevel | None = None,
    verified: bool | None = None,
    scopes_: Annotated[list[Scope] | None, Query(alias="scopes")] = None,
    order: Literal["display_order", "created_at"] = "created_at",
    direction: Direction = "desc",
) -> JSONResponse:
    _no_user_profiles(request)
    result = await accounts.list_accounts(
        session,
        principal,
        account_id=account_id,
        platform=platform,
        trust_level=trust_level,
        verified=verified,
        scopes=scopes_ or [],
        page=page,
        order=order,
        direction=direction,
    )
    items = await accounts.present(session, result.items)
    return render_list(request, ACCOUNT, items, result.page_info)


@external_router.post(
    "", response_model=ExternalAccountObject, summary="Create (or return) a managed page"
)
async def create_external_account(
    request: Request,
    principal: CanCreate,
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[
        ExternalAccountCreate, Depends(json_body(ExternalAccountCreate, f"{ACCOUNT}.create"))
    ],
) -> JSONResponse:
    account = await accounts.create_account(session, clock, principal, body)
    [item] = await accounts.present(session, [account])
    return render(request, ACCOUNT, item)


@external_router.post("/connect", response_model=ConnectAnswer, summary="Connect external accounts")
async def connect_external_accounts(
    request: Request,
    principal: CanCreate,
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[
        ExternalAccountConnect, Depends(json_body(ExternalAccountConnect, f"{ACCOUNT}.connect"))
    ],
) -> JSONResponse:
    url = await accounts.connect(session, clock, principal, body)
    return render(request, f"{ACCOUNT}.connect", {"authorize_url": url})


@external_router.delete(
    "/{external_account_id}", response_model=DeletedObject, summary="Disconnect an account"
)
async def delete_external_account(
    request: Request,
    external_account_id: str,
    principal: CanDelete,
    session: SessionDep,
    account_id: str | None = None,
) -> JSONResponse:
    _no_user_profiles(request)
    deleted_id = await accounts.delete_account(session, principal, external_account_id, account_id)
    return render_deleted(request, ACCOUNT, deleted_id)


@external_router.post(
    "/{external_account_id}/refresh",
    response_model=ExternalAccountObject,
    summary="Re-read an account (or a partner) from its network",
)
async def refresh_external_account(
    request: Request,
    external_account_id: str,
    principal: CanCreate,
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[
        ExternalAccountRefresh, Depends(json_body(ExternalAccountRefresh, f"{ACCOUNT}.refresh"))
    ],
) -> JSONResponse:
    account = await accounts.refresh(
        session, clock, principal, external_account_id, body.account_id
    )
    [item] = await accounts.present(session, [account])
    return render(request, ACCOUNT, item)


@external_router.get(
    "/{external_account_id}/posts", response_model=PostList, summary="List an account's posts"
)
async def list_posts(
    request: Request,
    external_account_id: str,
    principal: CanRead,
    session: SessionDep,
    account_id: str | None = None,
    post_id: str | None = None,
    first: int | None = None,
    after: str | None = None,
) -> JSONResponse:
    page = PageRequest(first=first, after=after)
    items, info = await accounts.list_posts(
        session, principal, external_account_id, account_id, post_id, page
    )
    return render_list(request, f"{ACCOUNT}.post", items, info)


@external_router.get(
    "/{external_account_id}/lead_forms",
    response_model=LeadFormList,
    summary="List a Facebook page's lead forms",
)
async def list_lead_forms(
    request: Request,
    external_account_id: str,
    principal: CanRead,
    session: SessionDep,
    account_id: str | None = None,
) -> JSONResponse:
    forms = await accounts.list_lead_forms(session, principal, external_account_id, account_id)
    return render(request, f"{ACCOUNT}.lead_forms", {"data": forms})


@external_router.get(
    "/{external_account_id}/partners",
    response_model=ExternalAccountList,
    summary="List an Instagram account's partners",
)
async def list_partners(
    request: Request,
    external_account_id: str,
    principal: CanRead,
    session: SessionDep,
    account_id: str | None = None,
    first: int | None = None,
    after: str | None = None,
) -> JSONResponse:
    page = PageRequest(first=first, after=after)
    result = await accounts.list_partners(session, principal, external_account_id, account_id, page)
    items = await accounts.present(session, result.items)
    return render_list(request, ACCOUNT, items, result.page_info)


@external_router.post(
    "/{external_account_id}/partners",
    response_model=ExternalAccountObject,
    summary="Invite a creator to partnership ads",
)
async def add_partner(
    request: Request,
    external_account_id: str,
    principal: CanCreate,
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[PartnerCreate, Depends(json_body(PartnerCreate, f"{ACCOUNT}.partner"))],
) -> JSONResponse:
    partner = await accounts.add_partner(
        session, clock, principal, external_account_id, body.account_id, body.username
    )
    [item] = await accounts.present(session, [partner])
    return render(request, ACCOUNT, item)


@external_router.delete(
    "/{external_account_id}/partners/{partner_id}",
    response_model=DeletedObject,
    summary="Remove a partner",
)
async def remove_partner(
    request: Request,
    external_account_id: str,
    partner_id: str,
    principal: CanDelete,
    session: SessionDep,
    account_id: str | None = None,
) -> JSONResponse:
    removed = await accounts.remove_partner(
        session, principal, external_account_id, partner_id, account_id
    )
    return render_deleted(request, ACCOUNT, removed)
