"""A small client for a running node's HTTP API (used by `evanchor submit` and tests)."""

from __future__ import annotations

import json
from typing import Any

import requests

from evanchor.anchor.errors import EvanchorError

SUBMIT_TIMEOUT_SECONDS = 120.0
PROBE_TIMEOUT_SECONDS = 1.0


class NodeRefused(EvanchorError):
    """The node answered a request with an error; the message is the node's own line.
    A refused chunk of a staged upload also names the file's `line` and the `reason`
    without its location."""

    def __init__(  # noqa: PLR0917 - the error's facts, as the node sends them
        self,
        status: int,
        message: str,
        item: int | None,
        field: str | None,
        line: int | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.item = item
        self.field = field
        self.line = line
        self.reason = reason


class NodeUnreachable(EvanchorError):
    pass


def node_answers(api_url: str) -> bool:
    """Whether a node's API answers at `api_url` (healthy, or refusing writes with 503
    because its log store failed: then its requests say why)."""
    try:
        response = requests.get(f"{api_url}/v1/health", timeout=PROBE_TIMEOUT_SECONDS)
    except requests.RequestException:
        return False
    return response.status_code in (200, 503)


def json_bytes(value: Any) -> bytes:
    """`value` as compact UTF-8 JSON: Chinese text as itself, not as `\\uXXXX` escapes
    (six bytes a character instead of three, which counts against the request limit)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def auth_headers(token: str | None) -> dict[str, str]:
    """The operator's `Authorization` header (node/daemon/access.py), if a token is given."""
    return {} if token is None else {"Authorization": f"Bearer {token}"}


def request_json(method: str, url: str, **kwargs: Any) -> Any:
    """Send one request to a node and return its JSON answer (None for 204). Raises
    `NodeUnreachable` when no answer came, `NodeRefused` with the node's own line for a
    4xx/5xx or an answer that is not JSON."""
    try:
        response = requests.request(method, url, timeout=SUBMIT_TIMEOUT_SECONDS, **kwargs)
    except requests.RequestException as error:
        raise NodeUnreachable(f"{url}: {error}") from None
    if response.status_code == 204:
        return None
    try:
        body = response.json()
    except ValueError:
        raise NodeRefused(response.status_code, response.text[:200], None, None) from None
    if response.status_code >= 400:
        fault = body.get("error", {}) if isinstance(body, dict) else {}
        raise NodeRefused(
            response.status_code,
            str(fault.get("message", response.reason)),
            fault.get("item"),
            fault.get("field"),
            fault.get("line"),
            fault.get("reason"),
        )
    return body


def get_json(
    api_url: str,
    path: str,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    """GET `path`, as the operator with `token`, or with other `headers` (an agency's signed
    request: `access.signed_request_headers` over "GET" and `path` as sent)."""
    return request_json(
        "GET", f"{api_url}{path}", headers={**auth_headers(token), **(headers or {})}
    )


class NodeClient:
    """One running node's API, as the operator when `token` is given (the CLI beside the
    node reads it from the folder: `NodeHome.read_operator_token`)."""

    def __init__(self, api_url: str, token: str | None = None) -> None:
        self.api_url = api_url
        self.token = token

    def get(self, path: str) -> Any:
        """GET `path` (JSON), raising `NodeRefused` with the node's own line on a 4xx/5xx."""
        return get_json(self.api_url, path, token=self.token)

    def post(self, path: str, body: Any = None) -> Any:
        """POST `body` as JSON to `path` (an empty object when None)."""
        return request_json(
            "POST",
            f"{self.api_url}{path}",
            json={} if body is None else body,
            headers=auth_headers(self.token),
        )
