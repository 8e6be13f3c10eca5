"""One POST over urllib for the HTTP channels: a timeout on every request, no redirects followed,
http(s) only, and the answer classified: 2xx is returned, 5xx, 408, 429, timeouts and network
errors are transient, any other status is permanent."""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .. import conf
from . import PermanentError, TransientError

MAX_ANSWER = 64 * 1024  # bytes of an answer worth reading
SNIPPET = 300  # characters of an answer worth keeping in an error
USER_AGENT = "EpiCommand-notify/1"


@dataclass
class Answer:
    status: int
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None

    @property
    def text(self) -> str:
        return snippet(self.body)


def snippet(body: bytes) -> str:
    return body[: SNIPPET * 4].decode("utf-8", errors="replace")[:SNIPPET].strip()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A gateway that redirects a POST is misconfigured; following it could re-send to a stranger.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PermanentError(f"not an http(s) URL: {url[:200]}")


def post(url: str, *, data: bytes, headers: dict[str, str], timeout: float | None = None) -> Answer:
    check_url(url)
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"User-Agent": USER_AGENT, **headers})
    try:
        with _opener.open(request, timeout=timeout or conf.timeout()) as response:
            return Answer(response.status, response.read(MAX_ANSWER))
    except urllib.error.HTTPError as exc:
        body = _read(exc)
        text = f"HTTP {exc.code}: {snippet(body) or exc.reason}"
        if exc.code >= 500 or exc.code in (408, 429):
            raise TransientError(text) from None
        raise PermanentError(text) from None
    except (urllib.error.URLError, http.client.HTTPException, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise TransientError(f"{type(reason).__name__}: {reason}") from None


def post_json(url: str, payload: Any, *, headers: dict[str, str] | None = None) -> Answer:
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return post(url, data=data, headers={"Content-Type": "application/json; charset=utf-8",
                                         "Accept": "application/json", **(headers or {})})


def _read(exc: urllib.error.HTTPError) -> bytes:
    try:
        return exc.read(MAX_ANSWER) or b""
    except Exception:  # a broken error body still leaves the status to go by
        return b""


def dig(data: Any, path: str) -> Any:
    """data["a"]["b"] for the path "a.b"; None when any step is missing."""
    for part in path.split(".") if path else []:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data
