"""The browser's way in: `POST /events?pixel_id=adpx_…` without an API key.

A page cannot keep a secret, so the browser pixel names the company's ad pixel instead of
presenting a key (docs/conversions.md#from-the-browser). What that buys it is narrow: it may
record website events of that pixel's company, nothing else, at the pixel's rate limit. A
request that carries `Authorization` is a key's request whatever its query says.
"""

from __future__ import annotations

from fastapi import Request

from adline.auth.dependencies import ClockDep, ScopeCheck, SessionDep
from adline.auth.service import Principal
from adline.conversions.schemas import EventContext, EventCreate
from adline.core.errors import InvalidRequest
from adline.core.http import version_bundle
from adline.core.versioning import VERSION_HEADER
from adline.pixels.service import sending_pixel
from adline.rate_limits.edge import charge_pixel

PIXEL_PARAM = "pixel_id"
BROWSER_ACTION_SOURCE = "website"
# The headers a cross-origin page may send on the public path. `Authorization` is not one
# of them, so no other site's script can spend a key a browser happens to hold.
CORS_ALLOWED_HEADERS = "Content-Type, Api-Version-Date"
PUBLIC_EVENTS_PATH = "/events"


class KeyOrPixel(ScopeCheck):
    """`Authenticated(scope)` for the one route a browser may call without a key.

    With `Authorization`: the key's checks, exactly as everywhere. Without it but with
    `?pixel_id=`: the pixel's company is the caller, with `scopes` only, charged to the
    pixel's bucket. With neither: the usual 401.
    """

    async def __call__(self, request: Request, session: SessionDep, clock: ClockDep) -> Principal:
        pixel_id = request.query_params.get(PIXEL_PARAM)
        if "authorization" in request.headers or pixel_id is None:
            principal = await super().__call__(request, session, clock)
            if pixel_id is not None:
                # A key may name its own company's pixel (the page's snippet, replayed
                # server-side); any other is as unknown as everywhere else.
                await sending_pixel(session, pixel_id, principal.company_id)
            return principal
        request.state.api_version = version_bundle(request).resolve(
            request.headers.get(VERSION_HEADER), None
        )
        pixel = await sending_pixel(session, pixel_id)
        await charge_pixel(request, pixel.id)
        request.state.sending_pixel_id = pixel.id
        return Principal(
            key_id=f"pixel:{pixel.id}",
            company_id=pixel.company_id,
            user_id=None,
            scopes=frozenset(self.scopes),
            api_version_date=None,
        )


def sent_by_pixel(request: Request) -> bool:
    return getattr(request.state, "sending_pixel_id", None) is not None


def as_browser_event(request: Request, body: EventCreate) -> EventCreate:
    """A pixel-sent event is a website event (`action_source` defaults to it, and no other
    is taken: a browser cannot vouch for a phone call or a store visit). The visitor's
    address and user agent are filled from the request when the page did not send them,
    as network pixels do."""
    if body.action_source not in (None, BROWSER_ACTION_SOURCE):
        raise InvalidRequest(
            f"Invalid value for action_source: an event sent through a pixel is a "
            f"{BROWSER_ACTION_SOURCE!r} event, not {body.action_source!r}.",
            param="action_source",
        )
    context = body.context or EventContext()
    filled = {
        "ip_address": context.ip_address
        or (request.client.host if request.client is not None else None),
        "user_agent": context.user_agent or request.headers.get("user-agent"),
    }
    return body.model_copy(
        update={
            "action_source": BROWSER_ACTION_SOURCE,
            "context": context.model_copy(update=filled),
        }
    )
