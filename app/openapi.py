"""The OpenAPI document as generated clients need it: every error declared as problem+json,
the Idempotency-Key header on POSTs, and a description per tag."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from app.core.config import Settings
from app.core.errors import PROBLEM_JSON

TAGS = [
    {"name": "stakeholders", "description": "The people who ask, and the group they speak for."},
    {"name": "requests", "description": "What stakeholders asked for, verbatim."},
    {"name": "needs", "description": "The real problems behind requests, and their demand."},
    {"name": "roadmap", "description": "The work the company plans; its trace to requests."},
    {"name": "decisions", "description": "Answers to requests and needs, always with a why."},
    {"name": "reports", "description": "Summary, demand ranking and roadmap coverage."},
    {"name": "events", "description": "The change feed, in commit order."},
    {"name": "import and export", "description": "Bulk CSV or JSON lines in, CSV out."},
    {"name": "notices", "description": "What stakeholders are told of decisions, and when."},
    {"name": "webhooks", "description": "Signed deliveries of events to other tools (admin)."},
    {"name": "auth", "description": "Logging in, and who the token belongs to."},
    {"name": "users", "description": "User accounts and roles (admin)."},
    {"name": "service tokens", "description": "Tokens for integrations (admin)."},
    {"name": "audit", "description": "Who changed what, with before and after."},
    {"name": "health", "description": "Liveness and readiness probes."},
]

ERRORS = {
    400: "The body cannot be read as text: its bytes are not valid UTF-8.",
    401: "No valid bearer token (missing, malformed, expired or revoked).",
    403: "The caller's role does not allow this.",
    404: "No such resource.",
    409: "Conflicts with existing data or with a concurrent change.",
    412: "If-Match does not match the resource's current ETag; nothing was written.",
    413: "The request body is too large.",
    415: "The body is not of the media type this endpoint reads (JSON, or the login form).",
    422: "The input is not valid (JSON that does not parse included); `errors` lists each "
    "problem with its location.",
    503: "The database is unavailable or busy; retry shortly.",
}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Perform this POST at most once: a retry with the same key and body "
    "replays the first answer; the same key with another body is a 422.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}
SINGLE_SIGN_ON = "SingleSignOn"
WRITES = frozenset({"post", "put", "patch", "delete"})


class FieldError(BaseModel):
    loc: list[str | int] = Field(
        description="Where: body, query, path or header, then the field names and list "
        "positions down to the value."
    )
    msg: str = Field(description="What is wrong there.")


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(
        examples=["urn:reqtrack:problem:not-found"],
        description="A URN naming the kind of problem: stable, for code to act on.",
    )
    title: str = Field(examples=["Not Found"], description="A short summary of that kind.")
    status: int = Field(examples=[404], description="The HTTP status code of the answer.")
    detail: str = Field(
        examples=["Request 7 does not exist."], description="What went wrong this time."
    )
    errors: list[FieldError] | None = Field(
        default=None, description="Validation errors: where, and what is wrong."
    )


DOCS_ASSETS = "/docs/assets"  # the package's Swagger UI files (fastapi-offline), no CDN


def install_docs_page(app: FastAPI) -> None:
    """/docs, as fastapi-offline serves it, with what Swagger UI's sign-in needs: PKCE for
    the single sign-on flow, and the page that takes its code back."""

    @app.get("/docs", include_in_schema=False)
    async def docs_page(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=f"{root}/docs/oauth2-redirect",
            swagger_js_url=f"{root}{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{DOCS_ASSETS}/favicon.png",
            swagger_ui_parameters=app.swagger_ui_parameters,
            init_oauth={"clientId": "reqtrack-docs", "usePkceWithAuthorizationCodeGrant": True},
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    async def docs_sign_in_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                routes=app.routes,
                tags=TAGS,
            )
            _declare_problems(document)
            _declare_single_sign_on(document, app.state.settings)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _declare_single_sign_on(document: dict[str, Any], settings: Settings) -> None:
    """With single sign-on, the docs page's Authorize button offers it: Swagger UI runs
    the code flow (with PKCE) against /auth/oidc/login and /auth/oidc/token."""
    if settings.oidc_issuer is None or settings.oidc_client_id is None:
        return
    schemes = document.setdefault("components", {}).setdefault("securitySchemes", {})
    schemes[SINGLE_SIGN_ON] = {
        "type": "oauth2",
        "description": "Sign in at the company's identity provider.",
        "flows": {
            "authorizationCode": {
                "authorizationUrl": "/api/v1/auth/oidc/login",
                "tokenUrl": "/api/v1/auth/oidc/token",
                "scopes": {},
            }
        },
    }
    for operations in document["paths"].values():
        for operation in operations.values():
            if "security" in operation:
                operation["security"].append({SINGLE_SIGN_ON: []})


def _declare_problems(document: dict[str, Any]) -> None:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    reference = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for status in _errors_of(path, method, operation):
                responses.setdefault(str(status), {"description": ERRORS[status]})
            for status, response in responses.items():
                if int(status) >= 400:
                    response["content"] = reference
            if method == "post" and "security" in operation:
                operation.setdefault("parameters", []).append(IDEMPOTENCY_KEY)


def _errors_of(path: str, method: str, operation: dict[str, Any]) -> list[int]:
    headers = {p["name"].lower() for p in operation.get("parameters", []) if p["in"] == "header"}
    found = [503]
    # Every API route refuses a repeated query parameter (app/core/params.py).
    if path.startswith("/api/") or operation.get("parameters") or "requestBody" in operation:
        found.append(422)
    if "security" in operation:
        found += [401, 403]
    if "{" in path:
        found.append(404)
    if method in WRITES:
        found.append(409)
    if "if-match" in headers:
        found.append(412)
    if "requestBody" in operation:
        found += [400, 413, 415]
    return sorted(found)
