"""A small client for Ditto's HTTP API: DQL over POST {endpoint}/api/v4/store/execute (requests only)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests

from common import ConfigError, KitError, mask_uri
from zava.http_retry import Service, error_message, keyless_error, post_with_retries

EXECUTE_PATH = "/api/v4/store/execute"


def cloud_endpoint(raw: str | None, app_id: str) -> str:
    """The base URL of the app's HTTP API: DITTO_CLOUD_ENDPOINT, or https://<app-id>.cloud.ditto.live when unset."""
    value = (raw or "").strip()
    if not value:
        return f"https://{app_id}.cloud.ditto.live"
    if value.lower().startswith(("mongodb://", "mongodb+srv://")):
        raise ConfigError(
            f"DITTO_CLOUD_ENDPOINT holds a MongoDB connection string ({mask_uri(value)}): put that in "
            "MONGODB_CONNECTION_STRING, and set DITTO_CLOUD_ENDPOINT to the app's Cloud URL Endpoint from the "
            "Ditto portal (https://<app-id>.cloud.ditto.live)"
        )
    parts = urlsplit(value if "://" in value else f"https://{value}")
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(f"DITTO_CLOUD_ENDPOINT must be a URL like https://<app-id>.cloud.ditto.live, got {value!r}")
    path = parts.path.rstrip("/")
    for suffix in (EXECUTE_PATH, "/api/v4"):
        path = path.removesuffix(suffix)
    return f"{parts.scheme}://{parts.netloc}{path}"


class DittoClient:
    """Runs DQL statements against one Ditto app over HTTP, retrying 429, 5xx and network failures."""

    def __init__(
        self,
        endpoint: str,
        api_key: str,
        app_id: str = "",
        timeout: float = 30,
        max_retries: int = 5,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.app_id = app_id
        self.timeout = timeout
        self.max_retries = max(max_retries, 0)
        self.session = session or requests.Session()
        self.sleep = sleep
        self._api_key = api_key

    @classmethod
    def from_settings(cls, values: dict[str, str], **options: Any) -> DittoClient:
        """Build from DITTO_APP_ID, DITTO_API_KEY and DITTO_CLOUD_ENDPOINT; ConfigError naming what is missing."""
        missing = [name for name in ("DITTO_APP_ID", "DITTO_API_KEY") if not (values.get(name) or "").strip()]
        if missing:
            raise ConfigError(
                f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set: copy them from the "
                "Ditto portal (the app's Connect tab, and an HTTP API key) into .env"
            )
        app_id = values["DITTO_APP_ID"].strip()
        return cls(
            cloud_endpoint(values.get("DITTO_CLOUD_ENDPOINT"), app_id),
            values["DITTO_API_KEY"].strip(),
            app_id,
            **options,
        )

    @property
    def host(self) -> str:
        return urlsplit(self.endpoint).netloc.rpartition("@")[2] or self.endpoint

    def _fail(self, message: str) -> KitError:
        """A one-line KitError that never carries the key."""
        return keyless_error(message, self._api_key)

    def execute(self, statement: str, args: dict[str, Any] | None = None) -> list[Any]:
        """The `items` of one DQL statement."""
        response = self._post({"statement": statement, "args": args or {}})
        try:
            body = response.json()
            error, items = body.get("error"), body["items"]
            if not isinstance(items, list):
                raise TypeError
        except (ValueError, KeyError, TypeError, AttributeError):
            raise self._fail(f"Ditto at {self.host} sent a response without items for {statement!r}") from None
        if error:
            raise self._fail(f"Ditto could not run {statement!r}: {error_message(response)}")
        return items

    def _post(self, body: dict[str, Any]) -> requests.Response:
        """POST with retries and exponential backoff; KitError with one clear line on anything else."""
        not_found = (
            f"Ditto answered HTTP 404 at {self.host}: check DITTO_APP_ID and DITTO_CLOUD_ENDPOINT "
            "(the app's Cloud URL Endpoint in the Ditto portal)"
        )
        service = Service("Ditto", self.host, "DITTO_API_KEY", not_found, "DITTO_CLOUD_ENDPOINT")
        return post_with_retries(
            self.session,
            service,
            self._fail,
            retries=self.max_retries,
            sleep=self.sleep,
            what=repr(body["statement"]),
            url=self.endpoint + EXECUTE_PATH,
            headers={"Authorization": f"Bearer {self._api_key}"},
            json=body,
            timeout=self.timeout,
        )
