"""The ASGI application: `create_app()` wires settings, clock, database and routers."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
from fastapi import Depends, FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adline import __version__
from adline.ad_groups.router import router as ad_groups_router
from adline.ads.router import router as ads_router
from adline.audiences.router import router as audiences_router
from adline.auth.router import router as api_keys_router
from adline.campaigns.duplication import finish_pending_duplicates
from adline.campaigns.router import router as campaigns_router
from adline.config import Settings
from adline.connections.adapters import ConnectionAdapters
from adline.connections.checker import NetworkConnectionChecker
from adline.connections.router import connections_router, external_router
from adline.conversions.public import CORS_ALLOWED_HEADERS, PUBLIC_EVENTS_PATH
from adline.conversions.router import router as conversions_router
from adline.core.clock import Clock, SystemClock
from adline.core.db import create_engine, create_read_sessionmaker, create_sessionmaker
from adline.core.edge import (
    BodyLimitMiddleware,
    HttpMethodsMiddleware,
    PublicCorsMiddleware,
    SecurityHeadersMiddleware,
    check_path_and_query,
)
from adline.core.encryption import TokenCipher
from adline.core.errors import install_error_handlers
from adline.core.versioning import VERSION_HEADER, VersionBundle
from adline.delivery.registry import AdapterRegistry
from adline.delivery.worker import DeliveryWorker
from adline.demo.clock import DemoClock
from adline.demo.control import HOUR as DEMO_STEP
from adline.demo.control import DemoControl
from adline.demo.router import router as demo_router
from adline.docs_page import docs_assets_router
from adline.files.router import UPLOAD_PATH
from adline.files.router import router as files_router
from adline.files.storage import storage_from_settings
from adline.funding.router import pages as funding_pages
from adline.funding.router import router as funding_router
from adline.health.router import router as health_router
from adline.idempotency.middleware import IdempotencyMiddleware, replay_response
from adline.idempotency.service import Replay
from adline.jobs.handlers import process_runner
from adline.jobs.runner import running_in_background
from adline.openapi import docs_router
from adline.pixels.router import router as pixels_router
from adline.products.router import router as products_router
from adline.rate_limits.edge import RateLimitMiddleware
from adline.rate_limits.limiter import RateLimiter
from adline.reports.router import router as reports_router
from adline.spend_caps.router import router as spend_caps_router
from adline.value_rules.router import router as value_rules_router
from adline.versions import VERSION_BUNDLE
from adline.web.router import router as web_router
from adline.webhooks.router import router as webhooks_router

API_PREFIX = "/api/v1"


class VersionHeaderMiddleware:
    """Names the API version a response was rendered in (`Api-Version-Date`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_version(message: Message) -> None:
            if message["type"] == "http.response.start":
                version = scope.get("state", {}).get("api_version")
                if version is not None:
                    headers = list(message.get("headers", []))
                    headers.append((VERSION_HEADER.lower().encode(), version.encode()))
                    message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_version)


def app_from_env() -> FastAPI:
    """The app of one `adline serve --workers N` process. uvicorn imports this factory in
    every worker process it starts, so the settings travel through the environment:
    `adline serve` writes its options there before starting them."""
    return create_app(Settings.from_env())


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    version_bundle: VersionBundle = VERSION_BUNDLE,
    engine: AsyncEngine | None = None,
    network_transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
) -> FastAPI:
    """The app. Pass `engine` to share one (tests); otherwise the lifespan owns its own.
    `network_transports` (tests) routes the real networks' clients to in-process fakes."""
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        demo: DemoControl | None = app.state.demo
        if engine is not None:
            if demo is not None:
                await demo.load(app.state.sessionmaker)
            yield
            return
        own_engine = create_engine(settings.database_url)
        app.state.engine = own_engine
        app.state.sessionmaker = create_sessionmaker(own_engine)
        app.state.read_sessionmaker = create_read_sessionmaker(own_engine)
        if demo is not None:
            # The simulated time the store reached, before anything reads the clock.
            await demo.load(app.state.sessionmaker)
        await finish_pending_duplicates(app.state.sessionmaker, app.state.clock)
        try:
            async with contextlib.AsyncExitStack() as stack:
                # The job runner, in-process (the embedded default): the delivery pass every
                # delivery_interval seconds, unless that is 0 (an `adline worker` does it).
                worker: DeliveryWorker | None = None
                interval: timedelta | None = None
                if settings.delivery_interval > 0:
                    interval = timedelta(seconds=settings.delivery_interval)
                    worker = DeliveryWorker(
                        app.state.sessionmaker,
                        app.state.clock,
                        app.state.adapters,
                        # A demo server's steps pass an hour apart: spend caps grant for that.
                        pass_interval=interval if demo is None else max(interval, DEMO_STEP),
                        durable=True,
                        connections=ConnectionAdapters(
                            app.state.sessionmaker,
                            app.state.clock,
                            app.state.token_cipher,
                            settings,
                            network_transports,
                            pass_interval=interval,
                        ),
                        billing_threshold_micros=settings.billing_threshold_micros,
                    )
                runner = process_runner(
                    app.state.sessionmaker,
                    app.state.clock,
                    delivery_worker=worker,
                    delivery_interval=interval,
                    # Handlers read the app's settings, not the environment's.
                    services={"settings": settings},
                )
                await stack.enter_async_context(running_in_background(runner))
                if demo is not None and worker is not None:
                    # Steps run this worker's passes; a run or step stops before the runner.
                    demo.attach(worker)
                    stack.push_async_callback(demo.close)
                # What start-up loaded lives as long as the server: out of the collector's
                # generations, a full collection no longer walks its ~220,000 objects (one
                # such pass stalled a list request by up to half a second on a loaded
                # machine). Start-up's garbage is collected first, not kept for good.
                gc.collect()
                gc.freeze()
                yield
        finally:
            # The runner stops first (the stack), then the engine goes.
            await own_engine.dispose()

    app = FastAPI(
        title="Adline",
        version=__version__,
        description="Self-hosted ads-management API, compatible with Whop's Ads API.",
        lifespan=lifespan,
        # One OpenAPI document per API version instead: /api/v1/openapi.json?version=V and
        # /api/v1/docs (adline.openapi); /openapi.json and /docs redirect there.
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        # Path parameters and query values are checked before any route's own dependencies
        # (NUL, lone surrogates, UTF-8, id alphabet: adline.core.edge).
        dependencies=[Depends(check_path_and_query)],
    )
    app.state.settings = settings
    # Demo mode (docs/demo.md): the app's clock is the demo clock, which steps move forward;
    # the API, the stats windows and the worker all read it.
    if settings.demo and engine is None and settings.delivery_interval <= 0:
        raise ValueError("demo mode needs the embedded delivery worker (delivery_interval > 0)")
    demo_clock = DemoClock(clock or SystemClock()) if settings.demo else None
    app.state.clock = demo_clock or clock or SystemClock()
    # The web UI's and the API's handle on it: None when demo mode is off.
    app.state.demo = DemoControl(demo_clock) if demo_clock is not None else None
    app.state.version_bundle = version_bundle
    # One adapter per platform for the whole process: the worker and the API share them.
    app.state.adapters = AdapterRegistry(app.state.clock, seed=settings.simulator_seed)
    if engine is not None:
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        app.state.read_sessionmaker = create_read_sessionmaker(engine)
    app.state.rate_limiter = RateLimiter(settings)
    app.state.file_storage = storage_from_settings(settings)
    # Seals pixel access tokens at rest; the key file is only read (or made) on first use.
    app.state.token_cipher = TokenCipher(settings.secret_key, settings.secret_key_file)
    # Checks network connections' tokens with the networks themselves, through the same
    # clients (and, in tests, the same fakes) as delivery (docs/connections.md#the-token-check).
    app.state.connection_checker = NetworkConnectionChecker(
        settings, network_transports, clock=app.state.clock
    )
    install_error_handlers(app)
    app.add_exception_handler(Replay, replay_response)
    # Innermost: an idempotent POST's answer is stored and committed with its writes.
    app.add_middleware(IdempotencyMiddleware, app_of=app)
    app.add_middleware(VersionHeaderMiddleware)
    # The edge (adline.core.edge), outermost last: security headers on every answer, the
    # 413s included; rate limits and their headers on every answer; the body cap before
    # anything reads a byte; HEAD and OPTIONS.
    app.add_middleware(HttpMethodsMiddleware, routes_of=app)
    app.add_middleware(
        BodyLimitMiddleware,
        max_body_bytes=settings.max_body_bytes,
        # File uploads stream their bytes to the store (adline.files.router).
        larger_caps=[("PUT", UPLOAD_PATH, settings.files_max_upload_bytes)],
    )
    app.add_middleware(RateLimitMiddleware, app_of=app)
    # Outside the rate limits, so a browser can read their 429s too.
    app.add_middleware(
        PublicCorsMiddleware,
        paths=frozenset({API_PREFIX + PUBLIC_EVENTS_PATH}),
        methods="POST",
        allowed_headers=CORS_ALLOWED_HEADERS,
    )
    app.add_middleware(SecurityHeadersMiddleware)
    app.include_router(health_router)
    app.include_router(campaigns_router, prefix=API_PREFIX)
    app.include_router(ad_groups_router, prefix=API_PREFIX)
    app.include_router(ads_router, prefix=API_PREFIX)
    app.include_router(api_keys_router, prefix=API_PREFIX)
    app.include_router(reports_router, prefix=API_PREFIX)
    app.include_router(conversions_router, prefix=API_PREFIX)
    app.include_router(spend_caps_router, prefix=API_PREFIX)
    app.include_router(funding_router, prefix=API_PREFIX)
    app.include_router(products_router, prefix=API_PREFIX)
    app.include_router(webhooks_router, prefix=API_PREFIX)
    app.include_router(files_router, prefix=API_PREFIX)
    app.include_router(value_rules_router, prefix=API_PREFIX)
    app.include_router(audiences_router, prefix=API_PREFIX)
    app.include_router(pixels_router, prefix=API_PREFIX)
    app.include_router(connections_router, prefix=API_PREFIX)
    app.include_router(external_router, prefix=API_PREFIX)
    app.include_router(demo_router, prefix=API_PREFIX)
    app.include_router(docs_router(API_PREFIX))
    app.include_router(docs_assets_router(API_PREFIX))
    # The ads manager in the browser, at the root, outside the API (docs/web.md).
    app.include_router(funding_pages)
    app.include_router(web_router)
    return app
