"""The ASGI application: `app.main:app`."""

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline
from starlette.concurrency import run_in_threadpool

from app import health
from app.api import hot_reads_of, include_api
from app.auth import pages as auth_pages
from app.auth.dependencies import calls_as_contributor, identity_tokens_of
from app.core.body_limit import BodyLimitMiddleware
from app.core.checkpoints import checkpoints_in_background
from app.core.config import Settings, get_settings
from app.core.db import make_engine
from app.core.direct import DirectReaders
from app.core.errors import install_error_handlers
from app.core.migrations import upgrade_to_head
from app.core.security import TokenIssuer, resolve_secret_key
from app.events.answer_cache import AnswerCache
from app.hot_reads import HotReadsMiddleware
from app.idempotency.dependencies import Replay, replay_response
from app.idempotency.middleware import IdempotencyMiddleware
from app.notices import pages as notice_pages
from app.notices.sender import running_sender
from app.openapi import DOCS_ASSETS, install_docs_page, install_openapi
from app.ops.logs import configure_logging
from app.ops.metrics import Metrics
from app.ops.metrics import router as metrics_router
from app.ops.middleware import OpsMiddleware
from app.portal import pages as portal_pages
from app.webhooks.dispatcher import running_dispatcher

logger = logging.getLogger("reqtrack")


def _operation_id(route: APIRoute) -> str:
    # Generated clients get list_requests, create_request, ... instead of path soup.
    return route.name


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(json_lines=settings.json_logs, level=settings.log_level)
    engine = make_engine(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.migrate_on_start:
            await run_in_threadpool(upgrade_to_head, app.state.engine)
        with checkpoints_in_background(settings):
            async with (
                running_dispatcher(app.state.engine, settings),
                running_sender(app.state.engine, settings),
            ):
                # What starting made lives as long as the process: set aside, the
                # collector's full passes do not walk it again and again (they took a good
                # part of a large import's time).
                gc.collect()
                gc.freeze()
                yield
                gc.unfreeze()  # this app's objects may go now (tests start many apps)
        await app.state.direct_readers.close()
        app.state.engine.dispose()

    # The docs pages' scripts and styles come from the package, not a CDN: a server
    # without internet still shows them.
    app = FastAPIOffline(
        docs_url=None,  # install_docs_page: Swagger UI with its sign-in settings
        static_url=DOCS_ASSETS,
        swagger_ui_parameters={"validatorUrl": None},  # no badge from swagger.io
        title="reqtrack",
        summary="Stakeholder requests, the needs behind them, and the roadmap that answers them.",
        version="0.1.0",
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.direct_readers = DirectReaders(settings)
    app.state.answer_cache = AnswerCache()
    app.state.metrics = Metrics(engine)
    app.state.token_issuer = TokenIssuer(
        key=resolve_secret_key(settings),
        issuer=settings.token_issuer,
        audience=settings.token_audience,
        ttl=timedelta(seconds=settings.token_ttl_seconds),
    )
    app.state.identity_tokens = identity_tokens_of(app)
    install_error_handlers(app)
    app.add_exception_handler(Replay, replay_response)
    include_api(app)  # before the probes: the API's routes are matched first
    app.include_router(health.router)
    app.include_router(auth_pages.router)
    app.include_router(notice_pages.router)
    app.include_router(portal_pages.router)
    app.add_exception_handler(portal_pages.LinkNoLongerValid, portal_pages.no_longer_valid)
    app.include_router(metrics_router)
    install_openapi(app)
    install_docs_page(app)
    # Innermost: a read answered before routing is still counted, logged and limited.
    app.add_middleware(HotReadsMiddleware, routes=hot_reads_of(app))
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        max_import_bytes=settings.max_import_bytes,
        read_timeout=settings.body_read_timeout_seconds,
        may_import=calls_as_contributor,
    )
    # Outermost: every log line of the request, errors included, carries its id.
    app.add_middleware(OpsMiddleware, metrics=app.state.metrics, log_requests=settings.access_log)
    return app


app = create_app()
