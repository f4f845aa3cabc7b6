"""Embeddings from an Azure OpenAI deployment over plain HTTPS (requests only, no SDK)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import requests

from zava.errors import ConfigError, KitError
from zava.http_retry import Service, keyless_error, post_with_retries

DEFAULT_API_VERSION = "2024-10-21"


class AzureOpenAIEmbedder:
    """An EmbeddingProvider backed by an Azure OpenAI embeddings deployment."""

    def __init__(
        self,
        endpoint: str,
        api_key: str,
        deployment: str,
        api_version: str = DEFAULT_API_VERSION,
        dimensions: int | None = None,
        batch_size: int = 64,
        timeout: float = 30,
        max_retries: int = 5,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if batch_size < 1:
            raise ConfigError(f"batch size must be at least 1, got {batch_size}")
        self.endpoint = endpoint.rstrip("/")
        self.deployment = deployment
        self.api_version = api_version
        self.requested_dimensions = dimensions
        self.dimensions = dimensions or 0
        self.model = f"azure-openai/{deployment}"
        self.batch_size = batch_size
        self.timeout = timeout
        self.max_retries = max(max_retries, 0)
        self.session = session or requests.Session()
        self.sleep = sleep
        self._api_key = api_key

    @classmethod
    def from_settings(cls, values: dict[str, str], **options: Any) -> AzureOpenAIEmbedder:
        """Build from AZURE_OPENAI_* settings; ConfigError naming the first missing or bad one."""

        def required(name: str) -> str:
            value = (values.get(name) or "").strip()
            if not value:
                raise ConfigError(f"{name} is not set (needed for Azure OpenAI embeddings)")
            return value

        endpoint = required("AZURE_OPENAI_ENDPOINT")
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(
                f"AZURE_OPENAI_ENDPOINT must be a URL like https://NAME.openai.azure.com, got {endpoint!r}"
            )
        api_key = required("AZURE_OPENAI_API_KEY")
        deployment = required("AZURE_OPENAI_DEPLOYMENT")
        api_version = (values.get("AZURE_OPENAI_API_VERSION") or "").strip() or DEFAULT_API_VERSION
        raw = (values.get("AZURE_OPENAI_DIMENSIONS") or "").strip()
        dimensions = None
        if raw:
            try:
                dimensions = int(raw)
            except ValueError:
                raise ConfigError(f"AZURE_OPENAI_DIMENSIONS must be a whole number, got {raw!r}") from None
            if dimensions < 1:
                raise ConfigError(f"AZURE_OPENAI_DIMENSIONS must be at least 1, got {dimensions}")
        return cls(endpoint, api_key, deployment, api_version, dimensions, **options)

    @property
    def url(self) -> str:
        return f"{self.endpoint}/openai/deployments/{self.deployment}/embeddings"

    @property
    def host(self) -> str:
        return urlsplit(self.endpoint).netloc.rpartition("@")[2] or self.endpoint

    def embed(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float64 rows, one per text, in input order."""
        batches = [self._embed_batch(texts[i : i + self.batch_size]) for i in range(0, len(texts), self.batch_size)]
        if not batches:
            return np.zeros((0, self.dimensions), dtype=np.float64)
        vectors = np.vstack(batches)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1.0, norms)

    def _fail(self, message: str) -> KitError:
        """A one-line KitError that never carries the key."""
        return keyless_error(message, self._api_key)

    def _embed_batch(self, batch: list[str]) -> np.ndarray:
        body: dict[str, object] = {"input": batch}
        if self.requested_dimensions:
            body["dimensions"] = self.requested_dimensions
        response = self._post(body)
        return self._parse(response, len(batch))

    def _post(self, body: dict[str, object]) -> requests.Response:
        """POST with retries on 429, 5xx and network failures; KitError on anything else."""
        not_found = (
            f"Azure OpenAI has no deployment {self.deployment!r} at {self.host} (HTTP 404): "
            "check AZURE_OPENAI_DEPLOYMENT and AZURE_OPENAI_ENDPOINT"
        )
        service = Service("Azure OpenAI", self.host, "AZURE_OPENAI_API_KEY", not_found, "AZURE_OPENAI_ENDPOINT")
        return post_with_retries(
            self.session,
            service,
            self._fail,
            retries=self.max_retries,
            sleep=self.sleep,
            what="the request",
            url=self.url,
            params={"api-version": self.api_version},
            headers={"api-key": self._api_key},
            json=body,
            timeout=self.timeout,
        )

    def _parse(self, response: requests.Response, expected: int) -> np.ndarray:
        """The batch's vectors ordered by index, checked for count and length."""
        try:
            rows = sorted(response.json()["data"], key=lambda row: row["index"])
            embeddings = [row["embedding"] for row in rows]
            indices = [row["index"] for row in rows]
            if not all(isinstance(e, list) for e in embeddings):
                raise TypeError("an embedding is not a list")
        except (ValueError, KeyError, TypeError):
            raise self._fail(f"Azure OpenAI at {self.host} sent a response without embeddings") from None
        if len(rows) != expected or indices != list(range(expected)):
            raise self._fail(f"Azure OpenAI returned {len(rows)} embeddings for {expected} texts")
        want = self.dimensions or (len(embeddings[0]) if embeddings else 0)
        bad = [len(e) for e in embeddings if len(e) != want]
        if want == 0 or bad:
            got = bad[0] if bad else 0
            raise self._fail(f"Azure OpenAI returned a vector of length {got}, expected {want or 'at least 1'}")
        try:
            vectors = np.array(embeddings, dtype=np.float64)
        except (ValueError, TypeError):
            raise self._fail(f"Azure OpenAI at {self.host} sent embeddings that are not numbers") from None
        self.dimensions = want
        return vectors
