"""The Web API client every part of Northline posts through."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler


def retry_handlers(rate_limit_retries: int = 10) -> list[RetryHandler]:
    # Retries are off by default in slack_sdk; a fan-out to hundreds of people needs them.
    return [
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=rate_limit_retries),
        ServerErrorRetryHandler(max_retry_count=2),
    ]


def build_web_client(
    token: str | None, api_url: str, *, timeout: int = 10, rate_limit_retries: int = 10
) -> WebClient:
    return WebClient(token=token, base_url=api_url, timeout=timeout, retry_handlers=retry_handlers(rate_limit_retries))
