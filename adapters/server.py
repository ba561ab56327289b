"""The composition root: `create_app(settings)` wires settings, storage, content, core and channels
into one aiohttp app; `serve` runs it with graceful shutdown on SIGTERM and Ctrl-C."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import sys
import time

from aiohttp import web

import content
from adapters import channels, logs
from adapters import owners as owners_edge
from adapters.guard import guard
from adapters.loopback import is_loopback_host
from adapters.metrics import Metrics
from adapters.notifier import Destination, Notifier
from adapters.scheduler import QuizScheduler
from adapters.web import api as web_api
from adapters.web.console import cases as case_console
from adapters.web.identity import WebIdentity
from bot.owners import OwnerSettings
from bot.policy.pack import PackError
from bot.policy.service import load_policy
from bot.quiz.rounds import Audience
from bot.reports.crypto import KeyError_, Sealer, load_keys
from bot.routes import build_bot
from bot.settings import Settings
from bot.storage import Storage
from bot.storage.errors import DatabaseUnavailable

log = logging.getLogger("smpolicy.server")
MAX_BODY = 64 * 1024
HEADER_SECONDS = 10.0  # an idle or half-open connection is closed after this long
STORAGE = web.AppKey("storage", Storage)
METRICS = web.AppKey("metrics", Metrics)
SETTINGS = web.AppKey("settings", Settings)
TEAMS = web.AppKey("teams", object)
NOTIFIER = web.AppKey("notifier", Notifier)
SCHEDULER = web.AppKey("scheduler", QuizScheduler)
CODES = web.AppKey("codes", asyncio.Task)
SLACK = web.AppKey("slack", object)
CHANNEL_KEYS = {"slack": SLACK, "teams": TEAMS}


def channel_of(path: str) -> str:
    if path.startswith("/slack"):
        return "slack"
    if path.startswith("/api/messages"):
        return "teams"
    if path.startswith("/api/local") or path == "/" or path.startswith(("/static", "/console")):
        return "web"
    return "system"


def _json_error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


@web.middleware
async def observe(request: web.Request, handler):
    """Request id, JSON errors for anything a client sent, metrics and one log line a request."""
    request_id = request.headers.get("X-Request-Id", "")[:64] or os.urandom(8).hex()
    started = time.perf_counter()
    channel = channel_of(request.path)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        if exc.content_type == "application/json" and exc.text:
            response = web.Response(status=exc.status, text=exc.text, content_type="application/json")
        else:
            response = _json_error(exc.status, exc.reason)
        if "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
    except Exception:
        log.exception("unhandled error", extra={"request_id": request_id, "route": request.path, "channel": channel})
        response = _json_error(500, "internal error")
    duration = time.perf_counter() - started
    request.app[METRICS].observe_request(channel, response.status, duration)
    response.headers["X-Request-Id"] = request_id
    if log.isEnabledFor(logging.INFO):
        route = request.match_info.route.resource.canonical if request.match_info.route.resource else "unmatched"
        log.info("request", extra={"request_id": request_id, "channel": channel, "route": route, "method": request.method,
                                   "status": response.status, "duration_ms": round(duration * 1000, 2)})
    return response


def create_app(settings: Settings, host: str = "127.0.0.1") -> web.Application:
    """Build the app from settings for a server listening on `host` (which decides whether the web chat is
    served without an SSO header); raises PackError or KeyError_ when the content or key is unusable."""
    pack, engine = load_policy(settings.content_dir, content.default_dir(), settings.contact)
    storage = Storage.open(settings.db_path, settings.database_url or None)
    sealer = Sealer(load_keys(settings.report_key, settings.data_dir, may_create=not storage.db.reports_at_start))
    metrics = Metrics()
    identity = WebIdentity(settings.web_user_header, settings.trusted_proxies, host)
    bot = build_bot(pack, engine, storage, sealer, metrics.hooks(), settings.report_notify_delay,
                    OwnerSettings(settings.question_log, settings.question_retention_days, settings.owners, settings.report_notify_delay),
                    settings.case_ack_days, settings.case_feedback_days)
    core = bot.core
    app = web.Application(middlewares=[observe, guard], client_max_size=MAX_BODY)
    app[STORAGE], app[METRICS], app[SETTINGS] = storage, metrics, settings

    async def healthz(request: web.Request) -> web.Response:
        unreadable = len(app[NOTIFIER].unreadable)
        database = storage.db.dialect
        if await storage.health.writable():
            return web.json_response({"status": "ok", "policy_version": pack.version, "database": database,
                                      "reports_unreadable": unreadable})
        return web.json_response({"status": "unavailable", "reason": "database cannot be written", "database": database,
                                  "reports_unreadable": unreadable}, status=503)

    async def metrics_page(request: web.Request) -> web.Response:
        return web.Response(body=metrics.render(), content_type="text/plain", charset="utf-8")

    async def open_storage(app: web.Application):
        await storage.start()  # before any other start-up work: the PostgreSQL pool needs the running loop
        yield
        await storage.close()

    async def web_reviewers(app: web.Application) -> None:
        # After open_storage has started the database (cleanup_ctx runs before every on_startup handler).
        await storage.reviewers.set_reviewers("web", ["web:" + user for user in settings.web_reviewers],
                                              {"web:" + user: user for user in settings.web_reviewers})

    async def make_codes(app: web.Application) -> None:
        # Follow-up codes are hashed ahead, so the first report of the day is no slower than any other action.
        app[CODES] = asyncio.get_running_loop().create_task(bot.desk.codes.fill())

    app.cleanup_ctx.append(open_storage)
    app.on_startup.append(web_reviewers)
    app.on_startup.append(make_codes)
    app.add_routes([web.get("/healthz", healthz), web.get("/metrics", metrics_page), *web_api.routes(core, identity, bot.owners)])
    owners_edge.mount(app, bot.owners, identity, settings)
    app.add_routes(case_console.routes(bot.review, identity))
    destinations: list[Destination] = []
    audiences: list[Audience] = []
    for channel in channels.enabled(settings, bot, storage):
        channel.mount(app)
        app[CHANNEL_KEYS[channel.name]] = channel
        destinations.append(Destination(channel.name, channel.review_ready, channel.notify_reviewers))
        audiences.append(Audience(channel.name, channel.quiz_people, channel.deliver_quiz, channel.confirm_quiz))
    notifier = Notifier(bot, destinations, settings.report_retention_days)
    app[NOTIFIER] = notifier
    app.on_startup.append(notifier.start)
    app.on_shutdown.append(notifier.stop)
    scheduler = QuizScheduler(bot.rounds, audiences, settings.quiz_schedule, settings.timezone)
    app[SCHEDULER] = scheduler
    if settings.quiz_rounds:
        app.on_startup.append(scheduler.start)
        app.on_shutdown.append(scheduler.stop)

    async def release_leases(app: web.Application) -> None:
        # After the scheduler stopped: another replica resumes this process's jobs now, not when the lease runs out.
        released = await bot.rounds.leases.release_all()
        if released:
            log.info("leases released", extra={"count": len(released)})

    app.on_shutdown.append(release_leases)
    return app


def serve(settings: Settings, host: str, port: int) -> int:
    """Run the server until SIGTERM or Ctrl-C; in-flight requests finish, the database closes."""
    if settings.teams_emulator and not is_loopback_host(host):  # unauthenticated Teams: this machine only
        print(f"smpolicy: SMPOLICY_TEAMS_EMULATOR=on serves Teams without authentication, so only on a loopback host "
              f"(--host 127.0.0.1), not {host}", file=sys.stderr)
        return 2
    logs.configure(settings.log_level)
    _raise_file_limit()
    try:
        app = create_app(settings, host)
    except PackError as exc:
        print(f"smpolicy: the content pack has problems:\n{exc}", file=sys.stderr)
        return 1
    except (KeyError_, DatabaseUnavailable) as exc:
        print(f"smpolicy: {exc}", file=sys.stderr)
        return 1
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{shown}:{port}/"

    identity = WebIdentity(settings.web_user_header, settings.trusted_proxies, host)

    async def announce(app: web.Application) -> None:
        if identity.enabled:
            print(f"smpolicy is running: open {url} to chat (Ctrl-C to stop)", flush=True)
        else:
            print(f"smpolicy is running on {host}:{port}; {identity.describe()}", flush=True)
        log.info("serving", extra={"url": url})

    async def settle(app: web.Application) -> None:
        # Everything built so far (content, index, SDK modules) lives as long as the process: keep it out of
        # the collector's scans, which otherwise walk it on every full collection (35 ms pauses under load).
        gc.collect()
        gc.freeze()

    app.on_startup.append(announce)
    app.on_startup.append(settle)
    # keepalive_timeout also bounds how long a new connection may take to send its request headers.
    web.run_app(app, host=host, port=port, print=None, shutdown_timeout=10, access_log=None, keepalive_timeout=HEADER_SECONDS)
    return 0




def _raise_file_limit() -> None:
    """Use the hard limit of open files: a flood of idle connections must not starve /healthz of descriptors."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ImportError, ValueError, OSError):
        pass


__all__ = ["create_app", "serve"]
