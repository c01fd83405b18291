"""The error an API step raises to answer with a problem (RFC 9457); bot/api/app.py renders it."""

from __future__ import annotations

from bot.api.routes import PREFIX
from bot.api.schemas import ProblemDetail

OPENAPI_PATH = PREFIX + "/openapi.json"


class ApiProblem(Exception):
    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: list[ProblemDetail] | None = None,
        headers=(),
        team_id: str | None = None,
    ):
        super().__init__(detail)
        self.status, self.detail, self.errors, self.headers = status, detail, errors, list(headers)
        self.team_id = team_id  # the workspace it speaks for, when known before the operation ran


def no_such_path(path: str) -> ApiProblem:
    return ApiProblem(404, f"There is no {path}; the OpenAPI document at {OPENAPI_PATH} lists what there is.")
