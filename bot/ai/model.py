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
from collections.abc import Callable, Sequence
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


def request_body(
    endpoint: ModelEndpoint, messages: Sequence[dict[str, str]], *, stream: bool = False
) -> dict:
    """The whole request: the model, the messages, two limits, and whether to stream. Nothing else."""
    return {
        "model": endpoint.model,
        "messages": list(messages),
        "temperature": TEMPERATURE,
        "max_tokens": MAX_TOKENS,
        "stream": stream,
    }


class _Stream:
    """Server-sent events of a streamed chat completion (`data: {…}` lines, then `data: [DONE]`),
    read as they arrive: the text so far goes to `on_text` after each piece."""

    def __init__(self, on_text: Callable[[str], None]):
        self.on_text = on_text
        self.pending = b""
        self.parts: list[str] = []
        self.events = 0
        self.done = False
        self.refused = False
        self.malformed = False

    def feed(self, chunk: bytes) -> None:
        self.pending += chunk
        while b"\n" in self.pending:
            line, self.pending = self.pending.split(b"\n", 1)
            self._line(line.strip())

    def _line(self, line: bytes) -> None:
        if not line.startswith(b"data:"):
            return  # blank lines, comments, event names
        data = line[5:].strip()
        self.events += 1
        if data == b"[DONE]":
            self.done = True
            return
        try:
            choice = json.loads(data)["choices"][0]
            delta = choice.get("delta") or {}
            piece = delta.get("content")
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            self.malformed = True
            return
        if delta.get("refusal") or choice.get("finish_reason") == "content_filter":
            self.refused = True
        if isinstance(piece, str) and piece:
            self.parts.append(piece)
            self.on_text("".join(self.parts))

    def text(self, raw: bytes) -> str:
        if self.events == 0:
            return _reply(raw)  # a server that answered in one piece, as if not asked to stream
        if self.refused:
            raise ModelError("the model declined to answer")
        if self.malformed:
            raise ModelError("the model's answer is not a chat completion")
        if not self.done:
            raise ModelError("the model's answer was cut short")
        said = "".join(self.parts).strip()
        if not said:
            raise ModelError("the model's answer is empty")
        return said


def complete(
    endpoint: ModelEndpoint,
    messages: Sequence[dict[str, str]],
    *,
    on_text: Callable[[str], None] | None = None,
    resolver: Resolver = system_resolver,
) -> str:
    """The model's reply to `messages`, within the endpoint's deadline; or ModelError. With
    `on_text`, the answer is streamed and `on_text` gets the text so far as it grows (it must not
    raise); the whole answer is still returned, or ModelError, at the end."""
    stream = _Stream(on_text) if on_text is not None else None
    headers = {"User-Agent": USER_AGENT}
    if endpoint.api_key:
        headers["Authorization"] = f"Bearer {endpoint.api_key}"
    host = urlsplit(endpoint.base_url).hostname or ""
    body = json.dumps(
        request_body(endpoint, messages, stream=stream is not None), ensure_ascii=False
    ).encode()
    try:
        raw = post_json(
            endpoint.url,
            body,
            headers=headers,
            allow=AllowList.parse([host]),
            timeout=endpoint.timeout,
            max_bytes=MAX_ANSWER_BYTES,
            resolver=resolver,
            sink=stream.feed if stream is not None else None,
        )
    except FetchError as error:
        log.warning("the language model gave no answer: %s", error.message)
        raise ModelError(error.message, timed_out="did not answer within" in error.message) from None
    return stream.text(raw) if stream is not None else _reply(raw)


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
