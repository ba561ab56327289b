"""The HTTP clients toward Slack: the one Web API client and response_url webhooks, with their retries."""

from __future__ import annotations

import asyncio

from aiohttp import ClientConnectorError, ClientOSError, ServerConnectionError, ServerDisconnectedError, ServerTimeoutError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack.pacing import AdaptivePacer, ThrottleAwareRateLimitHandler
from bot.settings import Settings

DEFAULT_API = "https://slack.com/api/"


class ServerErrorRetryHandler(AsyncServerErrorRetryHandler):
    """slack_sdk's server-error handler retries 500 and 503 only; gateways fail with 502 and 504 too."""

    async def _can_retry_async(self, *, state, request, response=None, error=None) -> bool:
        return response is not None and response.status_code in (500, 502, 503, 504)


def failure_retries() -> list:
    """Retries on connection errors, resets and timeouts (3 times, with backoff) and server errors (3 times).
    A retried timeout may deliver a message twice; we prefer that to losing an answer."""
    return [AsyncConnectionErrorRetryHandler(max_retry_count=3, error_types=[
                ServerConnectionError, ServerDisconnectedError, ClientOSError, ClientConnectorError, ServerTimeoutError,
                asyncio.TimeoutError]),
            ServerErrorRetryHandler(max_retry_count=3)]


def web_client(settings: Settings, pacer: AdaptivePacer) -> AsyncWebClient:
    """The one Web API client: SLACK_API_URL as base, retries on 429 (telling the fan-out pacer) and on failures."""
    return AsyncWebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url or DEFAULT_API,
        timeout=max(1, round(settings.http_timeout)),  # slack_sdk takes whole seconds
        # a long fan-out waits out Retry-After each time
        retry_handlers=[ThrottleAwareRateLimitHandler(pacer, max_retry_count=100), *failure_retries()],
    )


def response_hook(response_url: str, timeout: int) -> AsyncWebhookClient:
    """A request's response_url, retried on 429 (a few times), connection and server errors."""
    return AsyncWebhookClient(response_url, timeout=timeout,
                              retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=3), *failure_retries()])
