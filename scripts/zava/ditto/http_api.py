"""A small client for Ditto's HTTP API: DQL over POST {endpoint}/api/v5/store/execute (requests only).

v5, not v4: the kit's documents carry nested objects (location, specifications, seasonal_multipliers) that
are MAPs only with DQL strict mode off, and the v4 execute endpoint does not support strict mode off.
The endpoint is the app's Cloud URL Endpoint as the Ditto portal shows it; nothing here guesses a domain.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests

from zava.errors import ConfigError, KitError
from zava.http_retry import Service, error_message, keyless_error, post_with_retries
from zava.settings import mask_uri

EXECUTE_PATH = "/api/v5/store/execute"
# The documented count endpoint (legacy query language, no DQL): the fallback when SELECT COUNT(*) is refused.
COUNT_PATH = "/api/v4/store/count"
ENDPOINT_SETTING = "DITTO_CLOUD_ENDPOINT"
WHERE_IN_PORTAL = "the app's Cloud URL Endpoint (Ditto portal: your app, Connect via HTTP)"


class Refused(KitError):
    """Ditto answered, and turned the statement down (HTTP 400-class, or an error in the body)."""


def cloud_endpoint(raw: str | None) -> str:
    """The base URL of the app's HTTP API from DITTO_CLOUD_ENDPOINT; ConfigError when it is unset or not a URL."""
    value = (raw or "").strip()
    if not value:
        raise ConfigError(f"{ENDPOINT_SETTING} is not set: copy {WHERE_IN_PORTAL} into .env")
    if value.lower().startswith(("mongodb://", "mongodb+srv://")):
        raise ConfigError(
            f"{ENDPOINT_SETTING} holds a MongoDB connection string ({mask_uri(value)}): put that in "
            f"MONGODB_CONNECTION_STRING, and set {ENDPOINT_SETTING} to {WHERE_IN_PORTAL}"
        )
    parts = urlsplit(value if "://" in value else f"https://{value}")
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(f"{ENDPOINT_SETTING} must be {WHERE_IN_PORTAL} (a host name or URL), got {value!r}")
    path = parts.path.rstrip("/")
    for suffix in ("/store/execute", "/api/v5", "/api/v4"):
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
        self.count_refused = ""  # Ditto's answer to SELECT COUNT(*) once it has turned it down
        self._api_key = api_key

    @classmethod
    def from_settings(cls, values: dict[str, str], **options: Any) -> DittoClient:
        """Build from DITTO_APP_ID, DITTO_API_KEY and DITTO_CLOUD_ENDPOINT; ConfigError naming what is missing."""
        names = ("DITTO_APP_ID", "DITTO_API_KEY", ENDPOINT_SETTING)
        missing = [name for name in names if not (values.get(name) or "").strip()]
        if missing:
            listed = ", ".join(missing[:-1]) + (" and " if len(missing) > 1 else "") + missing[-1]
            raise ConfigError(
                f"{listed} {'is' if len(missing) == 1 else 'are'} not set: copy them from the Ditto portal "
                "(your app: App ID, Connect via HTTP's Cloud URL Endpoint, and an HTTP API key) into .env"
            )
        return cls(
            cloud_endpoint(values.get(ENDPOINT_SETTING)),
            values["DITTO_API_KEY"].strip(),
            values["DITTO_APP_ID"].strip(),
            **options,
        )

    @property
    def host(self) -> str:
        return urlsplit(self.endpoint).netloc.rpartition("@")[2] or self.endpoint

    def _fail(self, message: str) -> KitError:
        """A one-line KitError that never carries the key."""
        return keyless_error(message, self._api_key)

    def _refused(self, message: str) -> Refused:
        return Refused(str(self._fail(message)))

    def execute(self, statement: str, args: dict[str, Any] | None = None) -> list[Any]:
        """The `items` of one DQL statement (one statement per call: the endpoint takes exactly one)."""
        response = self._post(EXECUTE_PATH, {"statement": statement, "args": args or {}}, repr(statement))
        try:
            body = response.json()
            error, items = body.get("error"), body["items"]
            if not isinstance(items, list):
                raise TypeError
        except (ValueError, KeyError, TypeError, AttributeError):
            raise self._fail(f"Ditto at {self.host} sent a response without items for {statement!r}") from None
        if error:
            raise self._refused(f"Ditto could not run {statement!r}: {error_message(response)}")
        return items

    def count(self, collection: str, query: str) -> int:
        """Documents of `collection` matching a legacy-query-language `query`, from the documented count endpoint."""
        body = {"collection": collection, "query": query, "args": {}}
        response = self._post(COUNT_PATH, body, f"a count of {collection}")
        try:
            value = response.json()["count"]
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            raise self._fail(f"Ditto at {self.host} sent a count response without a count for {collection}") from None
        return value

    def _post(self, path: str, body: dict[str, Any], what: str) -> requests.Response:
        """POST with retries and exponential backoff; KitError with one clear line on anything else."""
        where = self.host + urlsplit(self.endpoint).path + path
        not_found = f"Ditto answered HTTP 404 at {where}: check that {ENDPOINT_SETTING} is {WHERE_IN_PORTAL}"
        service = Service("Ditto", self.host, "DITTO_API_KEY", not_found, ENDPOINT_SETTING)
        return post_with_retries(
            self.session,
            service,
            self._fail,
            retries=self.max_retries,
            sleep=self.sleep,
            what=what,
            refused=self._refused,
            url=self.endpoint + path,
            headers={"Authorization": f"Bearer {self._api_key}"},
            json=body,
            timeout=self.timeout,
        )
