"""One chat completion from the operator's OpenAI-compatible endpoint (`POST …/chat/completions`:
OpenAI, or a local server such as Ollama or vLLM), through the project's one safe fetcher
(bot/sources/fetch.py): one deadline for the whole call, no redirects, a size cap.

The endpoint is the operator's own declaration (NORTHLINE_AI_BASE_URL), so its host is admitted
even when it is internal (Ollama on localhost), as NORTHLINE_FETCH_ALLOW admits a data source's.
Every failure is a ModelError whose message names no URL and no key.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bot.domain.addresses import AllowList
from bot.sources.fetch import FetchError, Resolver, post_json, system_resolver

log = logging.getLogger(__name__)

MAX_ANSWER_BYTES = 256 * 1024
MAX_TOKENS = 700  # an answer in a thread, not an essay
TEMPERATURE = 0.2  # worded from facts, not invented
USER_AGENT = "Northline Ask"


class ModelError(Exception):
    """No usable answer from the model; `timed_out` when its deadline passed."""

    def __init__(self, message: str, *, timed_out: bool = False):
        super().__init__(message)
        self.message = message
        self.timed_out = timed_out


@dataclass(frozen=True)
class ModelEndpoint:
    base_url: str  # …/v1, without the trailing slash
    model: str
    api_key: str | None = field(default=None, repr=False)
    timeout: float = 20.0

    @property
    def url(self) -> str:
        return f"{self.base_url}/chat/completions"


def request_body(endpoint: ModelEndpoint, messages: Sequence[dict[str, str]]) -> dict:
    """The whole request: the model, the messages, and two limits. Nothing else is sent."""
    return {
        "model": endpoint.model,
        "messages": list(messages),
        "temperature": TEMPERATURE,
        "max_tokens": MAX_TOKENS,
        "stream": False,
    }


def complete(
    endpoint: ModelEndpoint,
    messages: Sequence[dict[str, str]],
    *,
    resolver: Resolver = system_resolver,
) -> str:
    """The model's reply to `messages`, within the endpoint's deadline; or ModelError."""
    headers = {"User-Agent": USER_AGENT}
    if endpoint.api_key:
        headers["Authorization"] = f"Bearer {endpoint.api_key}"
    host = urlsplit(endpoint.base_url).hostname or ""
    body = json.dumps(request_body(endpoint, messages), ensure_ascii=False).encode()
    try:
        raw = post_json(
            endpoint.url,
            body,
            headers=headers,
            allow=AllowList.parse([host]),
            timeout=endpoint.timeout,
            max_bytes=MAX_ANSWER_BYTES,
            resolver=resolver,
        )
    except FetchError as error:
        log.warning("the language model gave no answer: %s", error.message)
        raise ModelError(error.message, timed_out="did not answer within" in error.message) from None
    return _reply(raw)


def _reply(raw: bytes) -> str:
    """The first choice's text; a refusal, an empty reply or another shape is a ModelError."""
    try:
        choice = json.loads(raw)["choices"][0]
        message = choice["message"]
        content = message.get("content")
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        log.warning("the language model answered in a shape that is not a chat completion")
        raise ModelError("the model's answer is not a chat completion") from None
    if message.get("refusal") or choice.get("finish_reason") == "content_filter":
        raise ModelError("the model declined to answer")
    if not isinstance(content, str) or not content.strip():
        raise ModelError("the model's answer is empty")
    return content.strip()
