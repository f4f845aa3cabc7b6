"""AzureOpenAIEmbedder against a real local HTTP stub of the Azure OpenAI embeddings endpoint."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
import requests

import generate_mongodb_data
from common import ConfigError, KitError
from helpers import http_server
from zava.catalog.azure_embedder import AzureOpenAIEmbedder
from zava.catalog.embeddings import product_text
from zava.catalog.loader import load_catalog
from zava.http_retry import MAX_RETRY_AFTER, backoff

KEY = "sk-test-5f3c9a1e-do-not-leak"
DEPLOYMENT = "text-embed-3-small"


@dataclass
class Recorded:
    """One request the stub received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: dict


@dataclass
class Reply:
    """A scripted response; body None means 'embed the request's input'."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: object = None
    delay: float = 0.0


def fake_vector(text: str, dimensions: int) -> list[float]:
    """A deterministic, un-normalised vector whose first value identifies the text."""
    return [float(len(text) + 1)] + [float((len(text) * (i + 3)) % 7 + 1) for i in range(dimensions - 1)]


class Stub:
    """Records every request; answers from a queue of Replies, then by embedding the input."""

    def __init__(self, server: ThreadingHTTPServer) -> None:
        self.server = server
        self.requests: list[Recorded] = []
        self.replies: deque[Reply] = deque()
        self.default_dimensions = 8
        self.lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/"

    def script(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def answer(self, body: dict) -> Reply:
        with self.lock:
            reply = self.replies.popleft() if self.replies else Reply()
        if reply.body is None and reply.status == 200:
            size = body.get("dimensions", self.default_dimensions)
            data = [
                {"object": "embedding", "index": i, "embedding": fake_vector(t, size)}
                for i, t in enumerate(body["input"])
            ]
            reply.body = {"object": "list", "data": data[::-1], "model": "text-embedding-3-small"}  # out of order
        return reply


def make_handler(stub: Stub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            body = json.loads(raw) if raw else {}
            parts = urlsplit(self.path)
            stub.requests.append(Recorded("POST", parts.path, parse_qs(parts.query), dict(self.headers), body))
            reply = stub.answer(body)
            if reply.delay:
                time.sleep(reply.delay)
            payload = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
            try:
                self.send_response(reply.status)
                for name, value in {"Content-Type": "application/json", **reply.headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture(scope="module")
def stub_server() -> Iterator[ThreadingHTTPServer]:
    """One HTTP server for the module (each stops only after a poll interval); each test's stub answers on it."""
    with http_server() as server:
        yield server


@pytest.fixture
def stub(stub_server: ThreadingHTTPServer) -> Stub:
    """A fresh stub (no requests, no scripted replies) answering every request from now on."""
    fake = Stub(stub_server)
    stub_server.RequestHandlerClass = make_handler(fake)
    return fake


@pytest.fixture
def delays() -> list[float]:
    return []


def embedder(stub: Stub, delays: list[float], **options: object) -> AzureOpenAIEmbedder:
    return AzureOpenAIEmbedder(stub.endpoint, KEY, DEPLOYMENT, sleep=delays.append, **options)  # type: ignore[arg-type]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def error_text(info: pytest.ExceptionInfo[BaseException]) -> str:
    text = str(info.value)
    assert "\n" not in text
    assert KEY not in text and KEY not in repr(info.value)
    assert info.value.__cause__ is None or KEY not in str(info.value.__cause__)
    return text


# ---------------------------------------------------------------- success


def test_batches_in_order_normalised_and_learns_dimensions(stub: Stub, delays: list[float]) -> None:
    texts = [f"product {i} " + "x" * i for i in range(150)]
    provider = embedder(stub, delays, batch_size=64)
    assert provider.model == f"azure-openai/{DEPLOYMENT}"
    vectors = provider.embed(texts)
    assert [len(r.body["input"]) for r in stub.requests] == [64, 64, 22]
    assert [t for r in stub.requests for t in r.body["input"]] == texts
    assert all("dimensions" not in r.body for r in stub.requests)
    assert vectors.shape == (150, 8) and vectors.dtype == np.float64
    assert provider.dimensions == 8
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0)
    for row, text in zip(vectors, texts):
        expected = np.array(fake_vector(text, 8))
        np.testing.assert_allclose(row, expected / np.linalg.norm(expected))
    assert delays == []


def test_request_url_headers_and_body(stub: Stub, delays: list[float]) -> None:
    provider = AzureOpenAIEmbedder(stub.endpoint + "/", KEY, DEPLOYMENT, api_version="2025-01-01", sleep=delays.append)
    provider.embed(["a drill", "a saw"])
    (request,) = stub.requests
    assert request.method == "POST"
    assert request.path == f"/openai/deployments/{DEPLOYMENT}/embeddings"
    assert request.query == {"api-version": ["2025-01-01"]}
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert headers["api-key"] == KEY
    assert "authorization" not in headers
    assert headers["content-type"].startswith("application/json")
    assert request.body == {"input": ["a drill", "a saw"]}


def test_default_api_version(stub: Stub, delays: list[float]) -> None:
    embedder(stub, delays).embed(["x"])
    assert stub.requests[0].query == {"api-version": ["2024-10-21"]}


def test_configured_dimensions_are_sent(stub: Stub, delays: list[float]) -> None:
    provider = embedder(stub, delays, dimensions=256)
    assert provider.dimensions == 256
    vectors = provider.embed(["hammer", "nails", "glue"])
    assert stub.requests[0].body == {"input": ["hammer", "nails", "glue"], "dimensions": 256}
    assert vectors.shape == (3, 256)
    assert provider.dimensions == 256


def test_empty_input_makes_no_request(stub: Stub, delays: list[float]) -> None:
    vectors = embedder(stub, delays, dimensions=16).embed([])
    assert vectors.shape == (0, 16)
    assert stub.requests == []


def test_zero_vector_stays_zero(stub: Stub, delays: list[float]) -> None:
    stub.script(Reply(body={"data": [{"index": 0, "embedding": [0.0, 0.0]}, {"index": 1, "embedding": [3.0, 4.0]}]}))
    vectors = embedder(stub, delays).embed(["", "x"])
    np.testing.assert_allclose(vectors, [[0.0, 0.0], [0.6, 0.8]])


# ---------------------------------------------------------------- retries


def test_retries_429_honouring_retry_after(stub: Stub, delays: list[float]) -> None:
    stub.script(
        Reply(429, {"Retry-After": "3"}, {"error": {"code": "429", "message": "Rate limit exceeded"}}),
        Reply(429, {"Retry-After": "1.5"}, {"error": {"message": "Rate limit exceeded"}}),
    )
    vectors = embedder(stub, delays).embed(["a", "b"])
    assert vectors.shape == (2, 8)
    assert delays == [3.0, 1.5]
    assert len(stub.requests) == 3
    assert all(r.body == {"input": ["a", "b"]} for r in stub.requests)


def test_retries_5xx_with_exponential_backoff(stub: Stub, delays: list[float]) -> None:
    stub.script(
        Reply(500, body={"error": {"message": "internal"}}),
        Reply(503, body={"error": {"message": "busy"}}),
        Reply(502, body=b"<html>bad gateway</html>"),
        Reply(429, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, {"error": {"message": "slow down"}}),
    )
    embedder(stub, delays).embed(["a"])
    assert delays == [0.5, 1.0, 2.0, 4.0]
    assert len(stub.requests) == 5


def test_backoff_schedule_is_capped() -> None:
    assert [backoff(n) for n in range(8)] == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 20.0, 20.0]
    assert backoff(0, "7") == 7.0
    assert backoff(5, "0") == 0.0
    assert backoff(0, "3600") == MAX_RETRY_AFTER


def test_gives_up_after_max_retries(stub: Stub, delays: list[float]) -> None:
    stub.script(*[Reply(503, body={"error": {"message": "The service is\ntemporarily unavailable"}})] * 10)
    with pytest.raises(KitError) as info:
        embedder(stub, delays, max_retries=3).embed(["a"])
    text = error_text(info)
    assert "HTTP 503" in text and "4 attempts" in text
    assert "The service is temporarily unavailable" in text
    assert len(stub.requests) == 4
    assert delays == [0.5, 1.0, 2.0]


def test_no_retries_when_max_retries_is_zero(stub: Stub, delays: list[float]) -> None:
    stub.script(Reply(429, {"Retry-After": "1"}, {"error": {"message": "Rate limit"}}))
    with pytest.raises(KitError, match=r"HTTP 429\) after 1 attempt:"):
        embedder(stub, delays, max_retries=0).embed(["a"])
    assert delays == [] and len(stub.requests) == 1


def test_connection_refused_retries_then_one_line() -> None:
    port = closed_port()
    delays: list[float] = []
    provider = AzureOpenAIEmbedder(f"http://127.0.0.1:{port}", KEY, DEPLOYMENT, max_retries=2, sleep=delays.append)
    with pytest.raises(KitError) as info:
        provider.embed(["a"])
    text = error_text(info)
    assert f"127.0.0.1:{port}" in text and "3 attempts" in text and "AZURE_OPENAI_ENDPOINT" in text
    assert delays == [0.5, 1.0]


def test_timeout_is_retried_then_reported(stub: Stub, delays: list[float]) -> None:
    stub.script(Reply(delay=1.0), Reply(delay=1.0))
    with pytest.raises(KitError) as info:
        embedder(stub, delays, timeout=0.2, max_retries=1).embed(["a"])
    text = error_text(info)
    assert "timed out" in text and "2 attempts" in text
    assert delays == [0.5]


def test_timeout_then_success(stub: Stub, delays: list[float]) -> None:
    stub.script(Reply(delay=1.0))
    vectors = embedder(stub, delays, timeout=0.2).embed(["a"])
    assert vectors.shape == (1, 8) and delays == [0.5]


# ---------------------------------------------------------------- errors that are not retried


@pytest.mark.parametrize("status", [401, 403])
def test_refused_key_is_one_clear_line_without_the_key(stub: Stub, delays: list[float], status: int) -> None:
    message = f"Access denied due to invalid subscription key {KEY}. Make sure to provide a valid key."
    stub.script(Reply(status, body={"error": {"code": str(status), "message": message}}))
    with pytest.raises(KitError) as info:
        embedder(stub, delays).embed(["a"])
    assert error_text(info) == f"Azure OpenAI refused the key (HTTP {status}): check AZURE_OPENAI_API_KEY"
    assert len(stub.requests) == 1 and delays == []


def test_missing_deployment_names_the_variables(stub: Stub, delays: list[float]) -> None:
    stub.script(Reply(404, body={"error": {"code": "DeploymentNotFound", "message": "The API deployment ..."}}))
    with pytest.raises(KitError) as info:
        embedder(stub, delays).embed(["a"])
    text = error_text(info)
    assert "HTTP 404" in text and "AZURE_OPENAI_DEPLOYMENT" in text and "AZURE_OPENAI_ENDPOINT" in text
    assert DEPLOYMENT in text
    assert len(stub.requests) == 1


def test_other_4xx_carries_the_service_message(stub: Stub, delays: list[float]) -> None:
    long = "This model's maximum context length is 8192 tokens. " + "y" * 400 + f" key={KEY}"
    stub.script(Reply(400, body={"error": {"code": "context_length_exceeded", "message": long}}))
    with pytest.raises(KitError) as info:
        embedder(stub, delays).embed(["a"])
    text = error_text(info)
    assert text.startswith("Azure OpenAI rejected the request (HTTP 400): This model's maximum context length")
    assert len(text) < 260
    assert len(stub.requests) == 1 and delays == []


def test_4xx_without_json_body(stub: Stub, delays: list[float]) -> None:
    stub.script(Reply(422, body=b"unprocessable\nentity"))
    with pytest.raises(KitError, match=r"^Azure OpenAI rejected the request \(HTTP 422\): unprocessable entity$"):
        embedder(stub, delays).embed(["a"])


def test_key_never_in_message_even_when_echoed_back(stub: Stub, delays: list[float]) -> None:
    stub.script(*[Reply(500, body={"error": {"message": f"bad key {KEY}"}})] * 2)
    with pytest.raises(KitError) as info:
        embedder(stub, delays, max_retries=1).embed(["a"])
    assert "****" in error_text(info)


# ---------------------------------------------------------------- malformed responses


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ({"data": [{"index": 0, "embedding": [1.0, 2.0]}]}, "returned 1 embeddings for 2 texts"),
        (
            {"data": [{"index": i, "embedding": [1.0, 2.0]} for i in range(3)]},
            "returned 3 embeddings for 2 texts",
        ),
        (
            {"data": [{"index": 0, "embedding": [1.0, 2.0]}, {"index": 0, "embedding": [1.0, 2.0]}]},
            "returned 2 embeddings for 2 texts",
        ),
        (
            {"data": [{"index": 0, "embedding": [1.0, 2.0]}, {"index": 1, "embedding": [1.0]}]},
            "length 1, expected 2",
        ),
        ({"data": [{"index": 0, "embedding": []}, {"index": 1, "embedding": []}]}, "length 0"),
        ({"data": [{"index": 0, "embedding": ["a", "b"]}, {"index": 1, "embedding": [1, 2]}]}, "not numbers"),
        ({"unexpected": True}, "without embeddings"),
        ({"data": [{"index": 0, "embedding": "AAAA"}, {"index": 1, "embedding": [1.0]}]}, "without embeddings"),
        ({"data": [{"embedding": [1.0]}, {"index": 1, "embedding": [1.0]}]}, "without embeddings"),
        (b"not json", "without embeddings"),
    ],
)
def test_malformed_response(stub: Stub, delays: list[float], body: object, match: str) -> None:
    stub.script(Reply(body=body))
    with pytest.raises(KitError, match=match) as info:
        embedder(stub, delays).embed(["a", "b"])
    error_text(info)


def test_wrong_vector_length_for_configured_dimensions(stub: Stub, delays: list[float]) -> None:
    stub.script(Reply(body={"data": [{"index": 0, "embedding": [1.0] * 1536}]}))
    with pytest.raises(KitError, match="length 1536, expected 256"):
        embedder(stub, delays, dimensions=256).embed(["a"])


def test_later_batch_must_match_learnt_dimensions(stub: Stub, delays: list[float]) -> None:
    stub.script(Reply(), Reply(body={"data": [{"index": 0, "embedding": [1.0] * 4}]}))
    provider = embedder(stub, delays, batch_size=1)
    with pytest.raises(KitError, match="length 4, expected 8"):
        provider.embed(["a", "b"])


# ---------------------------------------------------------------- settings


SETTINGS = {
    "AZURE_OPENAI_ENDPOINT": "https://zava.openai.azure.com/",
    "AZURE_OPENAI_API_KEY": KEY,
    "AZURE_OPENAI_DEPLOYMENT": DEPLOYMENT,
}


def test_from_settings_defaults() -> None:
    provider = AzureOpenAIEmbedder.from_settings(SETTINGS)
    assert provider.url == f"https://zava.openai.azure.com/openai/deployments/{DEPLOYMENT}/embeddings"
    assert provider.api_version == "2024-10-21"
    assert provider.requested_dimensions is None and provider.dimensions == 0
    assert provider.model == f"azure-openai/{DEPLOYMENT}"


def test_from_settings_optional_values(stub: Stub, delays: list[float]) -> None:
    values = {
        **SETTINGS,
        "AZURE_OPENAI_ENDPOINT": stub.endpoint,
        "AZURE_OPENAI_API_VERSION": "2024-06-01",
        "AZURE_OPENAI_DIMENSIONS": "512",
    }
    provider = AzureOpenAIEmbedder.from_settings(values, sleep=delays.append, session=requests.Session())
    assert provider.embed(["a"]).shape == (1, 512)
    assert stub.requests[0].query == {"api-version": ["2024-06-01"]}
    assert stub.requests[0].body["dimensions"] == 512


@pytest.mark.parametrize("name", ["AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_DEPLOYMENT"])
@pytest.mark.parametrize("missing", [None, "", "   "])
def test_from_settings_names_the_missing_variable(name: str, missing: str | None) -> None:
    values = dict(SETTINGS)
    if missing is None:
        del values[name]
    else:
        values[name] = missing
    with pytest.raises(ConfigError, match=f"^{name} is not set") as info:
        AzureOpenAIEmbedder.from_settings(values)
    error_text(info)


@pytest.mark.parametrize(
    ("name", "value", "match"),
    [
        ("AZURE_OPENAI_DIMENSIONS", "many", "AZURE_OPENAI_DIMENSIONS must be a whole number, got 'many'"),
        ("AZURE_OPENAI_DIMENSIONS", "0", "AZURE_OPENAI_DIMENSIONS must be at least 1, got 0"),
        ("AZURE_OPENAI_ENDPOINT", "zava.openai.azure.com", "AZURE_OPENAI_ENDPOINT must be a URL"),
    ],
)
def test_from_settings_rejects_bad_values(name: str, value: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        AzureOpenAIEmbedder.from_settings({**SETTINGS, name: value})


# ---------------------------------------------------------------- the generator's --embeddings


def test_generator_embeddings_azure_stores_the_deployments_vectors(stub, tmp_path, capsys):
    env = tmp_path / "azure.env"
    env.write_text(
        f"AZURE_OPENAI_ENDPOINT={stub.endpoint}\nAZURE_OPENAI_API_KEY={KEY}\nAZURE_OPENAI_DEPLOYMENT={DEPLOYMENT}\n"
    )
    out = tmp_path / "out"
    flags = ["--env-file", str(env), "--customers", "20", "--orders", "40", "--quiet", "--out", str(out)]
    flags += ["--workers", "1"]  # no pool to start: the catalog is embedded in this process
    assert generate_mongodb_data.main([*flags, "--embeddings", "azure"]) == 0
    catalog = load_catalog()
    docs = {d["_id"]: d for d in map(json.loads, (out / "product_embeddings.jsonl").read_text().splitlines())}
    assert sorted(docs) == sorted(p.product_id for p in catalog.products)
    for product in catalog.products:
        vector = np.array(fake_vector(product_text(product, catalog), 8))
        doc = docs[product.product_id]
        assert doc["embedding_model"] == f"azure-openai/{DEPLOYMENT}" and doc["dimensions"] == 8
        assert doc["description_embedding"] == pytest.approx(np.round(vector / np.linalg.norm(vector), 6).tolist())
    assert sum(len(r.body["input"]) for r in stub.requests) == len(catalog.products)
    assert {r.headers["api-key"] for r in stub.requests} == {KEY}
    assert KEY not in "".join(capsys.readouterr())


@pytest.mark.parametrize(
    ("flag", "setting"), [(["--embeddings", "openai"], {}), ([], {"EMBEDDING_PROVIDER": "openai"})]
)
def test_generator_refuses_an_unknown_provider_in_one_line(flag, setting, tmp_path, capsys, monkeypatch):
    for name, value in setting.items():
        monkeypatch.setenv(name, value)
    (tmp_path / "empty.env").write_text("")
    out = tmp_path / "out"
    assert generate_mongodb_data.main(["--env-file", str(tmp_path / "empty.env"), "--out", str(out), *flag]) == 2
    assert capsys.readouterr().err == "error: EMBEDDING_PROVIDER must be local or azure, got 'openai'\n"
    assert not out.exists()
