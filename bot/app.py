"""create_app(): the Bolt app with every listener, built fresh for each process or test."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from sqlalchemy.exc import DBAPIError, OperationalError

from bot import listeners, outbound
from bot.bolt_fence import ListenerPool, PooledRespond, SignallingAck, answer_errors_after_ack
from bot.domain.slack_text import neutralize_broadcasts
from bot.errors import Invalid, NorthlineError
from bot.installations import (
    BOLT_ROTATION_MINUTES,
    BOT_SCOPES,
    bolt_authorize,
    installation_store,
    oauth_state_store,
)
from bot.listeners.common import caller, modal_text
from bot.listeners.members import FRESH_MEMBERS, FreshMembers
from bot.settings import Settings
from bot.slack_client import build_web_client, connection_pool
from storage.db import Database

if TYPE_CHECKING:
    import urllib3

log = logging.getLogger(__name__)

UNEXPECTED = "Something went wrong on our side and nothing was changed. Please try again in a moment."
DATABASE_DOWN = (
    "Northline can't reach its database right now; nothing was changed. Please try again in a minute."
)

# Named, Bolt's App() does not read the caller's file name from inspect.stack(): that costs
# milliseconds per app built, which the tests (one app each) pay two thousand times.
APP_NAME = "northline"

NOT_INSTALLED = (
    "Northline isn't installed in this workspace yet, so nothing was done. "
    "Ask a workspace admin to install it, then try again."
)


def create_app(settings: Settings, *, db: Database, client: WebClient | None = None) -> App:
    """The Bolt app. With SLACK_CLIENT_ID/SECRET it serves any workspace that installed it
    (OAuth, tokens in our database); otherwise the one workspace SLACK_BOT_TOKEN belongs to."""
    logger = logging.getLogger("northline.bolt")
    # Listeners ack() first and then do their work on this pool. Bolt's default of 5 threads lets
    # a burst of slow work queue new requests behind it, so their acks miss Slack's 3 seconds;
    # NORTHLINE_LISTENER_THREADS sizes it (32 by default: bench/REPORT.md, issue 24 item 9).
    listener_pool = ListenerPool(
        max_workers=settings.northline_listener_threads, thread_name_prefix="northline-listener"
    )
    store = installation_store(settings, db) if settings.oauth_enabled else None
    if store is not None:
        client = client or build_web_client(None, settings.slack_api_url)
        oauth_settings = OAuthSettings(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret,
            scopes=BOT_SCOPES,
            installation_store=store,
            state_store=oauth_state_store(db),
            install_path="/slack/install",
            redirect_uri_path="/slack/oauth_redirect",
            token_rotation_expiration_minutes=BOLT_ROTATION_MINUTES,
        )
        # Rotating tokens are refreshed by the store, under its cross-process lock (installations.py).
        oauth_settings.authorize = bolt_authorize(settings, store, client, logger)
        app = App(
            name=APP_NAME,
            signing_secret=settings.slack_signing_secret,
            client=client,
            logger=logger,
            oauth_settings=oauth_settings,
            user_facing_authorize_error_message=NOT_INSTALLED,
            listener_executor=listener_pool,
        )
    else:
        client = client or build_web_client(settings.slack_bot_token, settings.slack_api_url)
        app = App(
            name=APP_NAME,
            signing_secret=settings.slack_signing_secret,
            client=client,
            # auth.test happens on the first request instead of at import: start-up needs no network.
            token_verification_enabled=False,
            logger=logger,
            listener_executor=listener_pool,
        )
        app.middleware(only_the_installed_workspace)

    # Answers to response_urls reuse their connections (a TLS handshake each with Bolt's respond()).
    answers = connection_pool(settings.northline_listener_threads)
    app.use(PerRequest(listener_pool, answers, db=db, settings=settings, installations=store))
    listeners.register(app)
    app.error(handle_error)
    answer_errors_after_ack(app, handle_error)
    return app


class PerRequest(Middleware):
    """What every listener finds in its context, set once per request: the ack that hands the
    request its answer (bot/bolt_fence.py), the dependencies listeners declare by name (`db`,
    `settings`, `installations`), the process's FreshMembers, the command text as typed and the
    caller. One class rather than a middleware function each: Bolt builds some thirty keyword
    arguments for every function middleware on every request (bench/REPORT.md)."""

    def __init__(self, listener_pool: ListenerPool, answers: urllib3.PoolManager, **dependencies) -> None:
        self.listener_pool = listener_pool
        self.answers = answers  # the connections respond() posts through
        self.dependencies = {**dependencies, FRESH_MEMBERS: FreshMembers()}

    def process(self, *, req: BoltRequest, resp: BoltResponse, next):  # noqa: A002 - Bolt's name
        context = req.context
        if context.ack.response is None:  # Bolt made a plain Ack to inject into middleware; nobody called it
            context["ack"] = SignallingAck()
            self.listener_pool.expect_ack(context["ack"])
        context.update(self.dependencies)
        if context.response_url:
            context["respond"] = PooledRespond(context.response_url, self.answers)
        listeners.prepare(req.body, context)
        return next()


def only_the_installed_workspace(context, body, next):  # noqa: A002
    """One bot token serves one workspace: a request claiming another is refused, politely."""
    installed = context.authorize_result
    if (
        installed is None
        or not installed.team_id
        or not context.team_id
        or context.team_id == installed.team_id
    ):
        return next()
    if (
        installed.enterprise_id
        and context.enterprise_id == installed.enterprise_id
        and context.is_enterprise_install
    ):
        return next()
    logging.getLogger(__name__).warning(
        "refused a request from %s; this app serves %s", context.team_id, installed.team_id
    )
    if context.response_url:
        context.respond(text=NOT_INSTALLED, response_type="ephemeral")  # as Bolt does for OAuth
    return BoltResponse(status=200, body="")


def handle_error(error: Exception, body: dict, response: BoltResponse | None, context, logger):
    """The one place errors become messages. Before ack(), it shapes the HTTP answer too."""
    try:
        return _answer_error(error, body, response, context, logger)
    except Exception:  # noqa: BLE001 - the handler of last resort must itself never fail
        logger.exception("the error handler failed while handling %r", error)
        return BoltResponse(status=200, body="") if response is not None else None


def _answer_error(error: Exception, body: dict, response: BoltResponse | None, context, logger):
    if isinstance(error, Invalid) and error.fields and body.get("type") == "view_submission" and response:
        fields = {block: _modal_text(context, text) for block, text in error.fields.items()}
        return _json_response({"response_action": "errors", "errors": fields})
    if isinstance(error, NorthlineError):
        message = error.message
    elif isinstance(error, OperationalError) or (
        isinstance(error, DBAPIError) and error.connection_invalidated
    ):
        logger.error("database unavailable: %s", type(error).__name__)
        message = DATABASE_DOWN
    else:
        logger.exception("unexpected error in a listener", exc_info=error)
        message = UNEXPECTED
    if body.get("type") == "view_submission" and response is not None:
        # A modal can only show field errors; put the message under its first input.
        first_block = _first_input_block(body.get("view") or {})
        if first_block:
            return _json_response(
                {"response_action": "errors", "errors": {first_block: _modal_text(context, message)}}
            )
    _tell(context, body, message)
    if response is not None:
        return BoltResponse(status=200, body="")
    return None


def _modal_text(context, message: str) -> str:
    """Field errors are plain text: names for mentions, no backticks (listeners/common.modal_text)."""
    return modal_text(context.get("db"), caller(context), message)


def _first_input_block(view: dict) -> str | None:
    for block in view.get("blocks", []):
        if block.get("type") == "input" and block.get("block_id"):
            return block["block_id"]
    return None


def _tell(context, body: dict, message: str) -> None:
    message = neutralize_broadcasts(message)  # it may quote what the person typed
    try:
        if context.function_execution_id and (body.get("event") or {}).get("type") == "function_executed":
            # A Workflow Builder step: end the run with functions.completeError, so it never hangs;
            # Slackbot shows the message to whoever ran the workflow.
            context.fail(message)
            return
        if context.respond is not None and (body.get("response_url") or body.get("response_urls")):
            context.respond(text=message, response_type="ephemeral", replace_original=False)
            return
        user_id = context.user_id
        if user_id and context.client is not None:
            outbound.dm(context.client, user_id, message)
    except Exception:  # noqa: BLE001 - telling the person is best effort; the error is logged already
        log.warning("could not tell the user about an error", exc_info=True)


def _json_response(payload: dict) -> BoltResponse:
    return BoltResponse(status=200, body=json.dumps(payload), headers={"content-type": "application/json"})
