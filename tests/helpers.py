"""Plain helpers the tests share: free ports, running the scripts as a user would, a local HTTP server,
a proxy that stalls one command on its way to the server, the real mongosh."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import bson
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from pymongo import DeleteOne, InsertOne, MongoClient, ReplaceOne
from pymongo.database import Database
from pymongo.errors import OperationFailure

import create_indexes
import generate_mongodb_data
from common import PROJECT_ROOT, load_config
from zava.catalog.loader import load_catalog
from zava.generation.dataset import Dataset, DatasetSpec
from zava.model.collections import COLLECTION_NAMES
from zava.model.indexes import VECTOR_COLLECTION
from zava.mongo.server import server_info

SCRIPTS = PROJECT_ROOT / "scripts"
MONGOSH = PROJECT_ROOT / "tests" / "mongosh" / "node_modules" / ".bin" / "mongosh"  # make test installs it


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_script(
    name: str, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    """Run scripts/NAME.py in a child process, as a user would."""
    return subprocess.run(
        [sys.executable, str(SCRIPTS / f"{name}.py"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
    )


def start_script(name: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start scripts/NAME.py in the background, Ctrl-C-able (SIGINT) even when this process ignores it."""
    return subprocess.Popen(
        [sys.executable, str(SCRIPTS / f"{name}.py"), *args],
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # a shell's `&` ignores it otherwise
    )


@contextmanager
def http_server() -> Iterator[ThreadingHTTPServer]:
    """A threaded HTTP server on a free local port; set its RequestHandlerClass to serve."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


ENVIRONMENT_ONLY_SETTINGS = ("NO_COLOR",)  # read by zava/console.py from the environment alone


def kit_settings() -> set[str]:
    """Every setting .env.sample documents: test_docs_match_code checks the code reads exactly these."""
    sample = (PROJECT_ROOT / ".env.sample").read_text()
    return set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", sample, flags=re.M))


SMALL_CUSTOMERS, SMALL_ORDERS = 200, 800
SMALL = ["--customers", str(SMALL_CUSTOMERS), "--orders", str(SMALL_ORDERS), "--quiet", "--yes"]  # a quick dataset


# Under pytest-xdist each worker has its own server, but the kit keeps resume state per database name in the
# project's .state/ folder: a worker's suffix keeps the names of its shared datasets its own.
WORKER_SUFFIX = f"_{os.environ['PYTEST_XDIST_WORKER']}" if os.environ.get("PYTEST_XDIST_WORKER") else ""


@contextmanager
def scratch_dataset(mongo_uri: str, folder: Path, database: str, sizes: list[str], indexed: bool = False):
    """A generated dataset in its own database (the name plus WORKER_SUFFIX; dropped afterwards): (the database,
    the --env-file flag)."""
    database += WORKER_SUFFIX
    env = folder / "test.env"
    env.write_text(f"MONGODB_CONNECTION_STRING={mongo_uri}\nMONGODB_DATABASE={database}\n")
    settings = ["--env-file", str(env)]
    with MongoClient(mongo_uri, serverSelectionTimeoutMS=5000) as client:
        client.drop_database(database)
        assert generate_mongodb_data.main([*settings, *sizes, "--quiet", "--yes"]) == 0
        assert not indexed or create_indexes.main([*settings, "--quiet"]) == 0
        try:
            yield client[database], settings
        finally:
            client.drop_database(database)


def has_atlas_search(db: Database) -> bool:
    """Whether the server runs Atlas Search (Atlas, or mongod with mongot): a plain mongod refuses to list them."""
    if server_info(db.client).is_local:
        return False  # it has no Atlas Search, whatever its listing of search indexes shows
    try:
        list(db[VECTOR_COLLECTION].list_search_indexes())
    except OperationFailure:
        return False
    return True


class StallingProxy:
    """A TCP proxy in front of the real server that holds back the first command `stall` picks (a server that
    stops answering, as seen by the script) until the proxy closes; then that command is dropped. Everything else
    passes unchanged. `stalled` is set once a command is held. Use it as a context manager; `uri` goes to it."""

    def __init__(self, mongo_uri: str, stall: Callable[[dict], bool]) -> None:
        parts = urlsplit(mongo_uri)
        self.target = (parts.hostname or "127.0.0.1", parts.port or 27017)
        self.stall = stall
        self.stalled, self.closed = threading.Event(), threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.uri = f"mongodb://127.0.0.1:{self.listener.getsockname()[1]}/?directConnection=true"
        self.sockets: list[socket.socket] = [self.listener]
        threading.Thread(target=self._accept, daemon=True).start()

    def __enter__(self) -> StallingProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.closed.set()
        for sock in self.sockets:
            sock.close()

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            self.sockets += [client, server]
            threading.Thread(target=self._pipe, args=(server, client, False), daemon=True).start()
            threading.Thread(target=self._pipe, args=(client, server, True), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, from_client: bool) -> None:
        try:
            while header := source.recv(16, socket.MSG_WAITALL):
                length, _, _, opcode = struct.unpack("<iiii", header)
                body = source.recv(length - 16, socket.MSG_WAITALL)
                if from_client and opcode == 2013 and body[4] == 0 and not self.stalled.is_set():  # OP_MSG, body
                    size = struct.unpack("<i", body[5:9])[0]
                    if self.stall(bson.decode(body[5 : 5 + size])):
                        self.stalled.set()
                        self.closed.wait()
                        return
                sink.sendall(header + body)
        except (OSError, struct.error):
            pass
        finally:
            sink.close()


def printed_table(text: str, *headers: str) -> dict[str, list[str]]:
    """The rows of the table (zava.console.table) printed under these headers: first cell -> the other cells."""
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if re.split(r" {2,}", line.strip()) == list(headers))
    rows = {}
    for line in lines[first + 2 :]:
        if not line.strip():
            break
        cells = re.split(r" {2,}", line.strip())
        rows[cells[0]] = cells[1:]
    return rows


def number(cell: str) -> int:
    """A whole number as a table prints it (1,234)."""
    return int(cell.replace(",", ""))


def refusal(question: str) -> str:
    """The last line a script prints when it would need a typed confirmation but has no terminal to ask on."""
    return f"error: {question} Refusing without a terminal to confirm on; pass --yes to proceed."


def run_mongosh(
    uri: str, home: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    """The real mongosh (the version tests/mongosh pins) connected to uri, as `mongosh URI --quiet --norc ARGS`.
    HOME is `home`, so it writes its config and history there, not into the user's ~/.mongodb; a config file
    there turns its telemetry, its log files and its update check off; --quiet drops the connection chatter."""
    assert MONGOSH.exists(), "needs mongosh: npm ci --prefix tests/mongosh (make test does it)"
    config = home / ".mongodb" / "mongosh" / "config"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(json.dumps({"enableTelemetry": False, "disableLogging": True, "updateURL": ""}))
    return subprocess.run(
        [str(MONGOSH), uri, "--quiet", "--norc", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "HOME": str(home), **(env or {})},
        stdin=subprocess.DEVNULL,
    )


class Pristine:
    """The documents of a database as they are now, byte for byte, to put back after each test that changes them,
    so that tests can share one loaded dataset instead of loading their own. restore() deletes what was added since,
    puts back what was changed or deleted (types and field order included) and drops the collections created since.
    `skip`: collections no test writes to, never read again (the embeddings are the slowest to read)."""

    def __init__(self, db: Database, skip: tuple[str, ...] = ()) -> None:
        self.db = db.with_options(codec_options=CodecOptions(document_class=RawBSONDocument))
        self.skip = set(skip)
        self.saved = {name: self._read(name) for name in self.db.list_collection_names() if name not in self.skip}

    def _read(self, name: str) -> dict[bytes, RawBSONDocument]:
        return {_key(doc): doc for doc in self.db[name].find(batch_size=10_000)}

    def restore(self) -> None:
        for name in set(self.db.list_collection_names()) - set(self.saved) - self.skip:
            self.db.drop_collection(name)
        for name, saved in self.saved.items():
            now = self._read(name)
            added = [doc for key, doc in now.items() if key not in saved]
            gone = [doc for key, doc in saved.items() if key not in now or now[key].raw != doc.raw]
            compound = saved and all(isinstance(doc["_id"], Mapping) for doc in (*saved.values(), *added))
            if compound and len(added) + len(gone) > 8:
                self._rewrite(name, saved, added + gone)
            elif added or gone:
                writes: list = [DeleteOne(_one(doc)) for doc in added]
                writes += [InsertOne(doc) if _key(doc) not in now else ReplaceOne(_one(doc), doc) for doc in gone]
                self.db[name].bulk_write(writes, ordered=False)

    def _rewrite(self, name: str, saved: dict[bytes, RawBSONDocument], docs: list[RawBSONDocument]) -> None:
        """Put back a collection with a compound _id, where the local server scans the collection for each write
        on one document: every document sharing the first _id field of one of `docs` is deleted and inserted."""
        field = next(iter(docs[0]["_id"]))
        values = sorted({doc["_id"][field] for doc in docs})
        self.db[name].delete_many({f"_id.{field}": {"$in": values}})
        self.db[name].insert_many([doc for doc in saved.values() if doc["_id"][field] in values])


def _key(doc: Mapping) -> bytes:
    return bson.encode({"_id": doc["_id"]})


def _one(doc: Mapping) -> dict:
    """A filter for this one document: its _id, or each field of a compound _id (the local server cannot filter on
    a whole embedded document)."""
    key = doc["_id"]
    return {f"_id.{field}": value for field, value in key.items()} if isinstance(key, Mapping) else {"_id": key}


# What test_dataset.py's realism checks read of the biggest collections of the default-size dataset (the rest whole).
DEFAULT_SIZE_FIELDS = {
    "customers": ("customer_id", "primary_store_id", "segment", "company_name"),
    "orders": ("order_id", "customer_id", "store_id", "order_date", "item_count", "subtotal", "status", "total"),
    "order_items": ("order_id", "product_id", "quantity", "discount_percent", "line_total", "order_date"),
}
_default_size: list = []


def default_size_dataset() -> tuple:
    """The dataset docs/DATA_MODEL.md is rendered from (the default sizes: zava.docs.data_model.SAMPLE_SPEC),
    generated once for test_data_model.py and test_dataset.py: (data_model.sample() of it, its documents per
    collection, those of DEFAULT_SIZE_FIELDS kept as tuples of these fields). forget_default_size_dataset() lets
    it go."""
    if not _default_size:
        from collections import defaultdict

        from zava.catalog.loader import load_catalog
        from zava.docs import data_model
        from zava.generation.dataset import Dataset

        kept: defaultdict[str, list] = defaultdict(list)

        def batches() -> Iterator[tuple[str, list[dict]]]:
            for name, batch in Dataset(data_model.SAMPLE_SPEC, load_catalog()).batches():
                fields = DEFAULT_SIZE_FIELDS.get(name)
                kept[name].extend([tuple(d.get(f) for f in fields) for d in batch] if fields else batch)
                yield name, batch

        _default_size.append((data_model.sample(data_model.SAMPLE_SPEC, batches()), dict(kept)))
    return _default_size[0]


def forget_default_size_dataset() -> None:
    _default_size.clear()


def counts(client: MongoClient, db_name: str) -> dict[str, int]:
    """The exact number of documents in each of the nine collections."""
    db = client[db_name]
    return {name: db[name].count_documents({}) for name in COLLECTION_NAMES}


def expected_counts(orders: int, customers: int, items: int) -> dict[str, int]:
    """What a load of these sizes holds: the catalog and inventory are fixed, `items` is what was drawn."""
    return {
        "stores": 8,
        "categories": 9,
        "product_types": 40,
        "products": 424,
        "product_embeddings": 424,
        "customers": customers,
        "inventory": 3168,
        "orders": orders,
        "order_items": items,
    }


def planned_counts(argv: list[str]) -> dict[str, int]:
    """The documents per collection the generator plans for these flags (and the environment)."""
    config = load_config(generate_mongodb_data.parse_args(argv))
    return Dataset(DatasetSpec.from_config(config), load_catalog()).expected_counts()


def stop_processes(running: list[subprocess.Popen]) -> None:
    """Stop every process a test started and left running (kill it) and reap them all, emptying the list."""
    while running:
        process = running.pop()
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)
