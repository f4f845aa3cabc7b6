"""POST to a JSON HTTP service with retries: the shared plumbing of the Azure OpenAI and Ditto clients."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from zava.errors import KitError

FIRST_DELAY = 0.5  # seconds before the first retry; doubles after each
MAX_DELAY = 20.0  # cap on the computed backoff
MAX_RETRY_AFTER = 60.0  # cap on a server's Retry-After, so a bad header cannot hang a run


def backoff(retry: int, retry_after: str | None = None) -> float:
    """Seconds to wait before retry number `retry` (0-based): a numeric Retry-After wins."""
    if retry_after:
        try:
            return min(max(float(retry_after), 0.0), MAX_RETRY_AFTER)
        except ValueError:
            pass  # an HTTP date: fall back to our own schedule
    return min(FIRST_DELAY * 2**retry, MAX_DELAY)


def error_message(response: requests.Response) -> str:
    """The service's error.message or error.description (or the body), on one line of at most 200 characters."""
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        error = error.get("message") or error.get("description")
    message = error or response.text or response.reason or "no details"
    return " ".join(str(message).split())[:200]


def keyless_error(message: str, key: str) -> KitError:
    """A one-line KitError that never carries the key (even when a service echoes it back)."""
    line = " ".join(message.split())
    return KitError(line.replace(key, "****") if len(key) >= 4 else line)


@dataclass(frozen=True)
class Service:
    """What to call a service in messages, and which settings to blame."""

    name: str  # e.g. "Ditto"
    host: str
    key_setting: str  # blamed on 401/403
    not_found: str  # the whole message for a 404
    endpoint_setting: str  # blamed when the host cannot be reached


def post_with_retries(
    session: requests.Session,
    service: Service,
    fail: Callable[[str], KitError],
    *,
    retries: int,
    sleep: Callable[[float], None],
    what: str,
    refused: Callable[[str], KitError] | None = None,
    **request: Any,
) -> requests.Response:
    """POST, retrying 429, 5xx and network failures with backoff; `fail` turns anything else into one line
    (`refused`, when given, the service turning the request down: 4xx other than 401, 403 and 404)."""
    attempts = retries + 1
    tries = f"{attempts} attempt{'s' if attempts > 1 else ''}"
    for attempt in range(attempts):
        last = attempt == attempts - 1
        try:
            response = session.post(**request)
        except (requests.ConnectionError, requests.Timeout) as exc:
            if last:
                how = "timed out" if isinstance(exc, requests.Timeout) else "connection failed"
                raise fail(
                    f"cannot reach {service.name} at {service.host} after {tries} ({how}): "
                    f"check {service.endpoint_setting} and the network"
                ) from None
            sleep(backoff(attempt))
            continue
        except requests.RequestException as exc:
            raise fail(f"cannot call {service.name} at {service.host}: {type(exc).__name__}") from None
        status = response.status_code
        if status < 400:
            return response
        if status in (401, 403):
            raise fail(f"{service.name} refused the key (HTTP {status}): check {service.key_setting}")
        if status == 404:
            raise fail(service.not_found)
        if status == 429 or status >= 500:
            if last:
                raise fail(f"{service.name} kept failing (HTTP {status}) after {tries}: {error_message(response)}")
            sleep(backoff(attempt, response.headers.get("Retry-After")))
            continue
        raise (refused or fail)(f"{service.name} rejected {what} (HTTP {status}): {error_message(response)}")
    raise AssertionError("unreachable")
