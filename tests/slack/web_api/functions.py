"""Custom steps (docs.slack.dev/tools/bolt-python/concepts/custom-steps): function executions and
functions.completeSuccess/completeError."""

from __future__ import annotations

import copy
import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.slack.records import Call, _invalid_arguments, _SlackError, _Token

_OUTPUT_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v),
    "boolean": lambda v: isinstance(v, bool),
    "slack#/types/user_id": lambda v: isinstance(v, str) and re.fullmatch(r"[UW][A-Z0-9]+", v) is not None,
    "slack#/types/channel_id": lambda v: (
        isinstance(v, str) and re.fullmatch(r"[CGD][A-Z0-9]+", v) is not None
    ),
}


def output_problems(params: dict[str, dict[str, Any]], outputs: dict[str, Any]) -> list[str]:
    """Why ``outputs`` do not fit a function's output_parameters (keyed by name, as in the manifest):
    what functions.completeSuccess refuses with ``parameter_validation_failed``."""
    problems = [f"unknown output {name!r}" for name in outputs if name not in params]
    for name, param in params.items():
        value = outputs.get(name)
        if value is None:
            if param.get("is_required"):
                problems.append(f"missing required output {name!r}")
            continue
        check = _OUTPUT_TYPES.get(str(param.get("type")))
        if check is not None and not check(value):
            problems.append(f"output {name!r} is not a {param.get('type')}: {value!r}")
    return problems


@dataclass
class FunctionExecution:
    """One run of a custom step (docs.slack.dev/reference/events/function_executed): Slack gives the
    app a token of its own for the run (``bot_access_token``) and waits for
    ``functions.completeSuccess`` (``outputs``) or ``functions.completeError`` (``error``)."""

    id: str
    callback_id: str
    team_id: str
    token: str
    inputs: dict[str, Any]
    workflow_execution_id: str
    state: str = "running"  # running | completed | failed
    outputs: dict[str, Any] | None = None
    error: str | None = None


class FunctionsApi:
    """Custom steps (docs.slack.dev/tools/bolt-python/concepts/custom-steps): function executions and
    functions.completeSuccess/completeError. Mixed into ``SlackEmulator``; ``self`` is the emulator."""

    # Workflow Builder runs an app's step by sending it `function_executed` with the step's inputs and
    # a token for that run; the run ends when the app calls functions.completeSuccess with outputs that
    # fit the manifest's output_parameters (else `parameter_validation_failed`), or completeError.
    # A finished run cannot be completed again (`function_execution_not_found`, as Slack's docs show).

    def define_functions(self, functions: dict[str, dict[str, Any]]) -> None:
        """The ``functions`` of the app's manifest, keyed by callback_id."""
        with self._lock:
            self._functions = copy.deepcopy(functions)

    def start_function(
        self, callback_id: str, team_id: str, inputs: dict[str, Any], *, interactor: str | None = None
    ) -> tuple[FunctionExecution, dict[str, Any]]:
        """A workflow reaches the step: ``(the run, the function_executed event to deliver)``.

        Workflow Builder only saves a step with its required inputs and never sends one the step
        does not declare, so either is a mistake in the test. ``interactor``: the workflow was started
        by this person (a link trigger or button), so every ``slack#/types/interactivity`` input
        carries them, as Slack's interactivity pointer does."""
        with self._lock:
            definition = self._functions.get(callback_id)
            if definition is None:
                raise AssertionError(
                    f"no function {callback_id!r} in the manifest given to define_functions()"
                )
            params = definition.get("input_parameters") or {}
            inputs = copy.deepcopy(inputs)
            for name, param in params.items():
                if param.get("type") == "slack#/types/interactivity" and interactor and name not in inputs:
                    inputs[name] = {
                        "interactivity_pointer": f"{self._new_id('')}.{self._new_hash()}",
                        "interactor": {"id": interactor, "secret": self._secret("")},
                    }
            unknown = sorted(set(inputs) - set(params))
            missing = sorted(
                n for n, p in params.items() if p.get("is_required") and inputs.get(n) in (None, "")
            )
            if unknown or missing:
                raise AssertionError(
                    f"{callback_id}: unknown inputs {unknown}, missing required inputs {missing}"
                )
            bot = next(
                (
                    t
                    for t in self._tokens.values()
                    if t.team_id == team_id and not t.token.startswith("xwfp-")
                ),
                None,
            )
            if bot is None:
                raise AssertionError(f"no bot token for {team_id}: the app is not installed there")
            token = self._secret("xwfp-")
            # The execution's token acts as the app's bot: the same scopes as its install.
            self._tokens[token] = _Token(
                token, team_id, bot.user_id, bot.bot_id, bot.enterprise_id, scopes=bot.scopes
            )
            run = FunctionExecution(
                self._new_id("Fx"), callback_id, team_id, token, inputs, self._new_id("Wx")
            )
            self._executions[run.id] = run

            def listed(kind: str) -> list[dict[str, Any]]:
                return [{"name": n, **p} for n, p in (definition.get(kind) or {}).items()]

            event = {
                "type": "function_executed",
                "function": {
                    "id": "Fn" + callback_id.upper()[:10],
                    "callback_id": callback_id,
                    "title": definition.get("title"),
                    "description": definition.get("description", ""),
                    "type": "app",
                    "input_parameters": listed("input_parameters"),
                    "output_parameters": listed("output_parameters"),
                    "app_id": self.app_id,
                    "date_created": 1_700_000_000,
                    "date_updated": 1_700_000_000,
                    "date_deleted": 0,
                },
                "inputs": inputs,
                "function_execution_id": run.id,
                "workflow_execution_id": run.workflow_execution_id,
                "event_ts": f"{time.time():.6f}",
                "bot_access_token": token,
            }
            return run, event

    def function_execution(self, execution_id: str) -> FunctionExecution:
        with self._lock:
            return self._executions[execution_id]

    def wait_for_completion(self, execution_id: str, timeout: float = 5.0) -> FunctionExecution:
        """Wait until the run was completed or failed; a run still going is the app hanging."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._executions[execution_id].state == "running":
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    calls = "\n  ".join(repr(c) for c in self.calls if c.method.startswith("functions."))
                    raise AssertionError(
                        f"step {execution_id} still running after {timeout}s; calls:\n  {calls}"
                    )
                self._changed.wait(min(remaining, 0.05))
            return self._executions[execution_id]

    def _execution_for(self, call: Call, tok: _Token | None) -> FunctionExecution:
        assert tok is not None
        run = self._executions.get(str(call.args.get("function_execution_id") or ""))
        if run is None or run.state != "running":
            raise _SlackError("function_execution_not_found")
        if run.team_id != tok.team_id:
            raise _SlackError("access_denied")
        return run

    def _functions_complete_success(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        run = self._execution_for(call, tok)
        outputs = call.args.get("outputs")
        if isinstance(outputs, str):
            try:
                outputs = json.loads(outputs)
            except json.JSONDecodeError:
                outputs = None
        if not isinstance(outputs, dict):
            raise _SlackError(
                "invalid_arguments", response_metadata={"messages": ["[ERROR] outputs must be an object"]}
            )
        problems = output_problems(self._functions[run.callback_id].get("output_parameters") or {}, outputs)
        if problems:
            raise _SlackError("parameter_validation_failed", errors=problems)
        run.state, run.outputs = "completed", outputs
        return {"ok": True}

    def _functions_complete_error(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        run = self._execution_for(call, tok)
        error = call.args.get("error")
        if not isinstance(error, str) or not error.strip():
            raise _invalid_arguments("[ERROR] missing required field: error")
        run.state, run.error = "failed", error
        return {"ok": True}
