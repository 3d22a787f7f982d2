"""The portal's Starlette app: routes, CSRF, security headers, pages.

GET never writes. Every POST carries a CSRF token that must equal the `hd_csrf`
cookie (double submit; the cookie is SameSite=Strict and HttpOnly). Every response
gets `Cache-Control: no-store`, `Referrer-Policy: no-referrer`, a strict
Content-Security-Policy and `X-Content-Type-Options: nosniff`. Outside text reaches
the page only through Jinja's autoescape.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from helpdesk.db import Desk
from helpdesk.portal.words import WORDS, pick_language

HERE = Path(__file__).parent
CSRF_COOKIE = "hd_csrf"
FORM_MAX_BYTES = 64 * 1024
FORM_MAX_FIELDS = 80  # the plain form, a type's fields and a multi field's ticked boxes
SETTINGS_TTL = 5.0  # seconds the portal keeps desk.timezone and the request types
SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                                 b"frame-ancestors 'none'; base-uri 'none'"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"vary", b"Accept-Language, Cookie"),
]


@dataclass
class Portal:
    desk: Desk
    base_url: str | None  # where mailed links point, when `portal.url` is not set
    key: bytes
    kb: bool = True  # the header links to the /kb pages (published articles)
    secure_cookies: bool = False
    name: str | None = None  # desk.name, shown in the page header
    _zone: tuple[float, ZoneInfo] | None = None
    _types: tuple[float, dict] | None = None

    def zone(self, session) -> ZoneInfo:
        """desk.timezone, read again every few seconds (not on every page)."""
        if self._zone is None or self._zone[0] < time.monotonic():
            self._zone = (time.monotonic() + SETTINGS_TTL, _desk_zone(session))
        return self._zone[1]

    def find_type(self, session, name: str | None):
        """The loaded request type of that name, from a copy read again every few seconds."""
        if self._types is None or self._types[0] < time.monotonic():
            from helpdesk.services.types.catalog import stored_types

            self._types = (time.monotonic() + SETTINGS_TTL, stored_types(session))
        return self._types[1].get((name or "").strip().casefold())


class SecurityHeaders:
    """ASGI wrapper: the same protective headers on every response, errors included."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def sending(message):
            if message["type"] == "http.response.start":
                names = {name for name, _ in SECURITY_HEADERS}
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message = {**message, "headers": headers + SECURITY_HEADERS}
            await send(message)

        await self.app(scope, receive, sending)


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True)
    from helpdesk.request_types import plain_number

    env.globals["plain"] = plain_number  # a field's bounds as typed: 0, 12.5, never 0.0
    return env


ENV = _env()
CSS = (HERE / "static" / "portal.css").read_bytes()


# -- helpers ---------------------------------------------------------------------------------

def portal_of(request: Request) -> Portal:
    return request.app.state.portal


def csrf_of(request: Request) -> tuple[str, bool]:
    """The visitor's CSRF token and whether it is new (then the response sets the cookie)."""
    token = request.cookies.get(CSRF_COOKIE, "")
    if 20 <= len(token) <= 64 and token.replace("-", "").replace("_", "").isalnum():
        return token, False
    return secrets.token_urlsafe(24), True


def page(request: Request, template: str, status: int = 200, headers: dict | None = None, **values) -> HTMLResponse:
    words = WORDS[pick_language(request.headers.get("accept-language"))]
    token, fresh = csrf_of(request)
    portal = portal_of(request)
    html = ENV.get_template(template).render(w=words, csrf=token, kb=portal.kb, desk_name=portal.name, **values)
    response = HTMLResponse(html, status_code=status, headers=headers)
    if fresh and request.method == "GET":
        response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", secure=portal.secure_cookies,
                            path="/")
    return response


def not_found(request: Request) -> HTMLResponse:
    return page(request, "message.html", 404, title="not_found_title", text="not_found")


def limited(request: Request) -> HTMLResponse:
    return page(request, "message.html", 429, {"Retry-After": "600"}, title="limited_title", text="limited")


async def form_of(request: Request) -> dict[str, str] | Response:
    """The posted form, or the response refusing it (too large, or a wrong CSRF token)."""
    length = request.headers.get("content-length")
    if length is None or not length.isdigit() or int(length) > FORM_MAX_BYTES:
        return page(request, "message.html", 413, title="forbidden_title", text="too_large")
    async with request.form(max_files=0, max_fields=FORM_MAX_FIELDS) as form:
        values: dict[str, str] = {}
        for k, v in form.multi_items():
            if isinstance(v, str):  # a multi field's ticked boxes arrive one by one: keep them all
                values[k] = f"{values[k]}, {v}" if k in values and k.startswith("field.") else v
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = values.get("csrf", "")
    if not cookie or not sent or not hmac.compare_digest(cookie.encode(), sent.encode()):
        return page(request, "message.html", 403, title="forbidden_title", text="forbidden")
    return values


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _desk_zone(session) -> ZoneInfo:
    from helpdesk.services.core.settings import desk_zone

    try:
        return desk_zone(session)
    except Exception:  # a broken desk.timezone must not take the page down
        return ZoneInfo("UTC")


# -- pages -------------------------------------------------------------------------------------

async def track_page(request: Request) -> Response:
    return page(request, "track.html")


async def track_post(request: Request) -> Response:
    from helpdesk.services.customers.portal import FormErrors, track

    form = await form_of(request)
    if isinstance(form, Response):
        return form
    portal = portal_of(request)
    number, email = form.get("number", ""), form.get("email", "")
    try:
        result = await run_in_threadpool(portal.desk.write, lambda s: track(s, number, email, client_ip(request),
                                                                              base_url=portal.base_url))
    except FormErrors as exc:
        return page(request, "track.html", 400, errors=exc.errors, number=number, email=email)
    if result == "limited":
        return limited(request)
    return page(request, "track.html", sent=True)


def _open(request: Request, purpose: str):
    from helpdesk.services.customers.portal_links import open_token

    portal = portal_of(request)
    token = request.path_params["token"]
    with portal.desk.read() as s:
        return open_token(s, token, purpose, key=portal.key), token


async def _posted(request: Request, purpose: str) -> tuple[int, str, dict[str, str]] | Response:
    """A POST to a signed link: (ticket id, token, form), or the response refusing it
    (the same 404 as any bad link; a too large form or a wrong CSRF token)."""
    ticket_id, token = _open(request, purpose)
    if ticket_id is None:
        return not_found(request)
    form = await form_of(request)
    if isinstance(form, Response):
        return form
    return ticket_id, token, form


def _status(request: Request, token: str, status: int = 200, **values) -> Response:
    """The status page of the ticket `token` opens, or the 404 every bad link gets."""
    from helpdesk.services.customers.portal import status_page
    from helpdesk.services.customers.portal_links import open_token

    portal = portal_of(request)
    with portal.desk.read() as s:
        ticket_id = open_token(s, token, "t", key=portal.key)
        view = status_page(s, ticket_id, find_type=portal.find_type) if ticket_id is not None else None
        tz = portal.zone(s) if view is not None else None
    if view is None:
        return not_found(request)
    return page(request, "status.html", status, view=view, token=token, tz=tz, **values)


async def status_get(request: Request) -> Response:
    notice = request.query_params.get("done")
    return _status(request, request.path_params["token"],
                   notice=notice if notice in ("reply_sent", "closed_note") else None)


async def status_post(request: Request) -> Response:
    from helpdesk.services.customers.portal import FormErrors, customer_reply

    posted = await _posted(request, "t")
    if isinstance(posted, Response):
        return posted
    ticket_id, token, form = posted
    portal = portal_of(request)
    body = form.get("body", "")
    try:
        result = await run_in_threadpool(portal.desk.write, lambda s: customer_reply(s, ticket_id, body))
    except FormErrors as exc:
        return _status(request, token, 400, errors=exc.errors, body=body)
    if result == "limited":
        return limited(request)
    done = "reply_sent" if result == "ok" else "closed_note"
    return RedirectResponse(f"/t/{token}?done={done}", status_code=303)


def request_form(request: Request, status: int = 200, *, type_name: str = "", form: dict | None = None,
                 errors: dict | None = None, sent: bool = False) -> Response:
    """The request page: the type picker (when the desk offers types on the portal) and the
    form, with the chosen type's fields."""
    from helpdesk.services.customers.portal_form import portal_type, portal_types

    with portal_of(request).desk.read() as s:
        kinds = portal_types(s)
        kind = portal_type(s, type_name)
    errors = dict(errors or {})
    if type_name.strip() and kind is None:
        errors.setdefault("type", "type")
    return page(request, "request.html", status, kinds=kinds, kind=kind, form=form or {}, errors=errors, sent=sent)


async def request_page(request: Request) -> Response:
    return request_form(request, type_name=request.query_params.get("type", "")[:80])


async def request_post(request: Request) -> Response:
    from helpdesk.services.customers.portal import FormErrors, WebRequest, open_request

    form = await form_of(request)
    if isinstance(form, Response):
        return form
    portal = portal_of(request)
    answers = {k.removeprefix("field."): v for k, v in form.items() if k.startswith("field.")}
    wanted = WebRequest(form.get("name", ""), form.get("email", ""), form.get("subject", ""), form.get("body", ""),
                        form.get("type", "")[:80], answers)
    try:
        result = await run_in_threadpool(portal.desk.write, lambda s: open_request(s, wanted, client_ip(request),
                                                                                     base_url=portal.base_url))
    except FormErrors as exc:
        return await run_in_threadpool(lambda: request_form(request, 400, type_name=wanted.type,
                                                            form=wanted.__dict__, errors=exc.errors))
    if result == "limited":
        return limited(request)
    return page(request, "request.html", sent=True, form={})


async def survey_get(request: Request) -> Response:
    from helpdesk.services.customers.surveys import rating_of, ratable
    from helpdesk.models import Ticket, utcnow

    ticket_id, token = _open(request, "s")
    if ticket_id is None:
        return not_found(request)
    with portal_of(request).desk.read() as s:
        ticket = s.get(Ticket, ticket_id)
        current = rating_of(s, ticket_id)
        closed = ratable(ticket, utcnow()) is not None
    chosen = request.query_params.get("r")
    chosen = chosen if chosen in ("good", "bad") else (current.rating if current else None)
    return page(request, "survey.html", ticket=ticket, token=token, chosen=chosen, current=current,
                closed=closed, comment=current.comment if current else "", nps=current.nps if current else None,
                thanks=request.query_params.get("done") == "1")


async def survey_post(request: Request) -> Response:
    from helpdesk.errors import Conflict, Invalid
    from helpdesk.models import Ticket
    from helpdesk.services.customers import rate_limits
    from helpdesk.services.customers.portal import PORTAL
    from helpdesk.services.customers.surveys import rate

    posted = await _posted(request, "s")
    if isinstance(posted, Response):
        return posted
    ticket_id, token, form = posted
    portal = portal_of(request)
    chosen, comment, nps = form.get("rating", ""), form.get("comment", ""), form.get("nps", "")

    def write(s):
        if not rate_limits.allow(s, rate_limits.SURVEY_TICKET, str(ticket_id)):
            return "limited"
        rate(s, PORTAL, ticket_id, chosen, comment=comment, nps=nps, source="portal")
        return "ok"

    try:
        result = await run_in_threadpool(portal.desk.write, write)
    except Invalid as exc:
        with portal.desk.read() as s:
            ticket = s.get(Ticket, ticket_id)
        errors = {exc.field: "rating" if exc.field == "rating" else "nps" if exc.field == "nps" else "too_long"}
        return page(request, "survey.html", 400, ticket=ticket, token=token, chosen=chosen if chosen in ("good", "bad") else None,
                    current=None, closed=False, comment=comment, nps=None, errors=errors, thanks=False)
    except Conflict:
        with portal.desk.read() as s:
            ticket = s.get(Ticket, ticket_id)
        return page(request, "survey.html", 409, ticket=ticket, token=token, chosen=None, current=None, closed=True,
                    comment="", nps=None, thanks=False)
    if result == "limited":
        return limited(request)
    return RedirectResponse(f"/survey/{token}?done=1", status_code=303)


async def kb_list(request: Request) -> Response:
    from helpdesk.errors import Invalid
    from helpdesk.services.customers.portal_kb import list_published, search_published

    q = request.query_params.get("q", "").strip()[:200]
    with portal_of(request).desk.read() as s:
        try:
            articles = search_published(s, q) if q else list_published(s)
        except Invalid:  # nothing searchable in it (only punctuation): nothing found
            articles = []
    return page(request, "kb.html", q=q, articles=articles)


def _article_id(request: Request) -> int | None:
    raw = request.path_params["article"]
    return int(raw) if raw.isdigit() and len(raw) <= 12 else None


async def kb_article(request: Request) -> Response:
    from helpdesk.errors import NotFound
    from helpdesk.services.customers.portal_kb import render_html, show_published

    article_id = _article_id(request)
    try:
        with portal_of(request).desk.read() as s:
            article = show_published(s, article_id) if article_id is not None else None
    except NotFound:  # drafts, internal and archived articles answer as missing ones
        article = None
    if article is None:
        return not_found(request)
    return page(request, "article.html", article=article, body=render_html(article.body),
                thanks=request.query_params.get("done") == "1")


async def kb_feedback(request: Request) -> Response:
    from helpdesk.errors import NotFound
    from helpdesk.services.customers import rate_limits
    from helpdesk.services.customers.portal_kb import record_feedback

    article_id = _article_id(request)
    if article_id is None:
        return not_found(request)
    form = await form_of(request)
    if isinstance(form, Response):
        return form
    if form.get("helpful") not in ("yes", "no"):
        return page(request, "message.html", 400, title="forbidden_title", text="forbidden")

    def write(s):
        if not rate_limits.allow(s, rate_limits.KB_FEEDBACK_IP, client_ip(request)):
            return "limited"
        record_feedback(s, article_id, form["helpful"] == "yes")
        return "ok"

    try:
        result = await run_in_threadpool(portal_of(request).desk.write, write)
    except NotFound:
        return not_found(request)
    if result == "limited":
        return limited(request)
    return RedirectResponse(f"/kb/{article_id}?done=1", status_code=303)  # a reload never answers twice


async def healthz(request: Request) -> Response:
    from sqlalchemy import text

    try:
        with portal_of(request).desk.read() as s:
            s.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - the answer is the health
        return PlainTextResponse("database unavailable\n", status_code=503)
    return PlainTextResponse("ok\n")


async def stylesheet(request: Request) -> Response:
    return Response(CSS, media_type="text/css")


async def missing(request: Request, exc: HTTPException) -> Response:
    if exc.status_code == 405:
        return page(request, "message.html", 405, title="not_found_title", text="not_found")
    return not_found(request)


async def failed(request: Request, exc: Exception) -> Response:
    return PlainTextResponse("Something went wrong on our side. Please try again later.\n", status_code=500)


def create_app(desk: Desk, *, base_url: str | None = None, kb: bool = True, secure_cookies: bool = False):
    """The portal over `desk`. Makes the desk's link signing key if it has none yet."""
    from helpdesk.services.customers.portal_links import ensure_key

    from helpdesk.services.core.settings import get_setting

    key = desk.write(ensure_key)
    with desk.read() as s:
        name = get_setting(s, "desk.name")
    routes = [
        Route("/", track_page, methods=["GET"]),
        Route("/", track_post, methods=["POST"]),
        Route("/t/{token}", status_get, methods=["GET"]),
        Route("/t/{token}", status_post, methods=["POST"]),
        Route("/request", request_page, methods=["GET"]),
        Route("/request", request_post, methods=["POST"]),
        Route("/survey/{token}", survey_get, methods=["GET"]),
        Route("/survey/{token}", survey_post, methods=["POST"]),
        Route("/kb", kb_list, methods=["GET"]),
        Route("/kb/{article}", kb_article, methods=["GET"]),
        Route("/kb/{article}", kb_feedback, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/static/portal.css", stylesheet, methods=["GET"]),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: missing, Exception: failed})
    app.state.portal = Portal(desk, base_url, key, kb, secure_cookies, str(name) if name else None)
    return SecurityHeaders(app)


def serve(desk: Desk, host: str = "127.0.0.1", port: int = 8080, *, base_url: str | None = None,
          behind_proxy: bool = False) -> None:
    """`helpdesk portal`: run until interrupted. `behind_proxy`: take the client's address
    from X-Forwarded-For, set by a reverse proxy on this machine (127.0.0.1) and no one else."""
    import uvicorn

    app = create_app(desk, base_url=base_url or f"http://{host}:{port}",
                     secure_cookies=bool(base_url and base_url.startswith("https://")))
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False, proxy_headers=behind_proxy,
                forwarded_allow_ips="127.0.0.1" if behind_proxy else None)
