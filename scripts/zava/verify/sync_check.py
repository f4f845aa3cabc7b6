"""Compare MongoDB with Ditto: live-document counts, and a fixed sample of documents compared field by field."""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from bson import Decimal128, ObjectId, json_util
from bson.json_util import CANONICAL_JSON_OPTIONS
from pymongo.database import Database

from zava.ditto.connector import METADATA_FIELDS, UNSYNCED, ditto_id, metadata_in, synced, without_metadata
from zava.ditto.http_api import DittoClient, Refused
from zava.errors import KitError
from zava.http_retry import backoff
from zava.model.collections import Collection
from zava.model.rules import LIVE
from zava.mongo.initial_sync import page_key

COUNT_DQL = "SELECT COUNT(*) AS n FROM {collection} WHERE deleted = false"
# The same filter in the legacy query language of the count endpoint, used when Ditto refuses COUNT_DQL.
COUNT_QUERY = "deleted == false"
FETCH_DQL = "SELECT * FROM {collection} WHERE _id = :id"
MODES = ("json", "ejson")  # the connector's per-collection `mode`; the kit's configuration uses json
REJECTED_SHOWN = 5  # device writes MongoDB rejected: how many are named
# what may say why a parked write was rejected: the first of these a document of UNSYNCED holds is shown
REASON_FIELDS = ("reason", "error", "errmsg", "message", "code")


@dataclass
class CollectionCheck:
    """What one collection looks like on both sides."""

    name: str
    mongo_count: int
    ditto_count: int
    sampled: int = 0
    missing: list[str] = field(default_factory=list)
    differing: dict[str, list[str]] = field(default_factory=dict)
    metadata: Counter = field(default_factory=Counter)  # "MongoDB" / "Ditto" -> compared documents with metadata

    @property
    def matching(self) -> int:
        return self.sampled - len(self.missing) - len(self.differing)

    @property
    def in_sync(self) -> bool:
        return self.mongo_count == self.ditto_count and not self.missing and not self.differing

    def row(self) -> tuple[object, ...]:
        status = "in sync" if self.in_sync else "NOT IN SYNC"
        return (self.name, self.mongo_count, self.ditto_count, self.sampled, self.matching,
                len(self.missing), len(self.differing), status)  # fmt: skip

    def summary(self) -> str:
        """What is wrong, in a few words (empty when in sync)."""
        parts = []
        if self.mongo_count != self.ditto_count:
            parts.append(f"{self.mongo_count:,} in MongoDB, {self.ditto_count:,} in Ditto")
        if self.missing:
            parts.append(f"{len(self.missing)} missing")
        if self.differing:
            parts.append(f"{len(self.differing)} differing")
        return f"{self.name} ({', '.join(parts)})" if parts else ""


HEADERS = ("collection", "mongo", "ditto", "sampled", "matching", "missing", "differing", "status")


def show(value: Any, limit: int = 60) -> str:
    """A value on one short line: strings, dates and decimals bare, everything else as compact JSON."""
    if isinstance(value, (datetime, Decimal)):
        value = value.isoformat() if isinstance(value, datetime) else str(value)
    text = value if isinstance(value, str) else json.dumps(value, default=str, separators=(",", ":"))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def expected_value(value: Any, mode: str = "json") -> Any:
    """The value the connector writes to Ditto for a MongoDB value.

    json mode: ObjectId as its hex string, Decimal128 as a string (kept here as a Decimal, compared with
    Ditto's string by value), dates as ISO-8601 strings (kept as datetimes, compared by instant).
    ejson mode: MongoDB's canonical Extended JSON ({"$date": …}, {"$numberDecimal": "…"}, {"$numberInt": "…"}).
    """
    if mode == "ejson":
        return json.loads(json_util.dumps(value, json_options=CANONICAL_JSON_OPTIONS))
    if isinstance(value, dict):
        return {k: expected_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [expected_value(v) for v in value]
    if isinstance(value, ObjectId):
        return str(value)
    if isinstance(value, Decimal128):
        return value.to_decimal()
    return value


def _same_instant(moment: datetime, other: Any) -> bool:
    """A BSON date against Ditto's ISO-8601 string (json mode)."""
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if not isinstance(other, str):
        return False
    try:
        parsed = datetime.fromisoformat(other)
    except ValueError:
        return False
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)) == moment


def _same_decimal(expected: Decimal, other: Any) -> bool:
    """A Decimal128 against Ditto's string (json mode): equal by value, so "19.90" matches "19.9"."""
    if not isinstance(other, str):
        return False
    try:
        return Decimal(other) == expected
    except InvalidOperation:
        return False


def _same_scalar(expected: Any, actual: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return expected == actual or math.isclose(expected, actual, rel_tol=1e-12)
    if isinstance(expected, datetime):
        return _same_instant(expected, actual)
    if isinstance(expected, Decimal):
        return _same_decimal(expected, actual)
    return type(expected) is type(actual) and expected == actual


def differences(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Field paths where Ditto's value differs from the expected one (numbers numerically, maps recursively)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        found = []
        for key in sorted(set(expected) | set(actual), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in actual:
                found.append(f"{where}: missing in Ditto (MongoDB {show(expected[key])})")
            elif key not in expected:
                found.append(f"{where}: only in Ditto ({show(actual[key])})")
            else:
                found += differences(expected[key], actual[key], where)
        return found
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        return [d for i, (e, a) in enumerate(zip(expected, actual)) for d in differences(e, a, f"{path}[{i}]")]
    if isinstance(expected, (dict, list)) or not _same_scalar(expected, actual):
        return [f"{path}: MongoDB {show(expected)}, Ditto {show(actual)}"]
    return []


def compare(
    collection: Collection, mongo_doc: dict[str, Any], ditto_doc: dict[str, Any], mode: str = "json"
) -> list[str]:
    """Differences between a MongoDB document and its Ditto copy, _id by the connector's mapping; the connector's
    metadata on either side is not compared."""
    wanted = {k: expected_value(v, mode) for k, v in without_metadata(mongo_doc).items()}
    wanted["_id"] = expected_value(ditto_id(collection, mongo_doc), mode)
    return differences(wanted, without_metadata(ditto_doc))


def sample(db: Database, name: str, size: int, total: int) -> list[dict[str, Any]]:
    """`size` live documents spread evenly over the collection in key order: the same ones on every run."""
    order = [(k, 1) for k in page_key(name)]
    if size <= 0 or total <= 0:
        return []
    if total <= size:
        return list(db[name].find(LIVE).sort(order))
    return [doc for i in range(size) for doc in db[name].find(LIVE).sort(order).skip(i * total // size).limit(1)]


def ditto_count(ditto: DittoClient, name: str) -> int:
    """Live documents in Ditto: SELECT COUNT(*), or, once Ditto has refused that, the documented count endpoint."""
    if not ditto.count_refused:
        try:
            return _dql_count(ditto, name)
        except Refused as exc:
            ditto.count_refused = str(exc)
    return ditto.count(name, COUNT_QUERY)


def _dql_count(ditto: DittoClient, name: str) -> int:
    items = ditto.execute(COUNT_DQL.format(collection=name))
    if not items:
        return 0
    value = items[0].get("n") if isinstance(items[0], dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise KitError(f"Ditto sent no count for {name}: {show(items, 120)}")
    return int(value)


def check_collection(
    db: Database, ditto: DittoClient, collection: Collection, size: int, mode: str = "json"
) -> CollectionCheck:
    """Counts on both sides, then each sampled document fetched from Ditto by its mapped _id and compared."""
    mongo_count = db[collection.name].count_documents(LIVE)
    check = CollectionCheck(collection.name, mongo_count, ditto_count(ditto, collection.name))
    for doc in sample(db, collection.name, size, mongo_count):
        wanted = ditto_id(collection, doc)
        found = ditto.execute(FETCH_DQL.format(collection=collection.name), {"id": wanted})
        check.sampled += 1
        check.metadata["MongoDB"] += bool(metadata_in(doc))
        check.metadata["Ditto"] += bool(found and metadata_in(found[0]))
        if not found:
            check.missing.append(show(wanted, 200))
        elif problems := compare(collection, doc, found[0], mode):
            check.differing[show(wanted, 200)] = problems
    return check


def check_all(db: Database, ditto: DittoClient, size: int, mode: str = "json") -> list[CollectionCheck]:
    return [check_collection(db, ditto, c, size, mode) for c in synced()]


def wait_for_sync(
    db: Database,
    ditto: DittoClient,
    size: int,
    mode: str,
    wait: float,
    on_retry: Callable[[list[str], float], None] | None = None,
) -> list[CollectionCheck]:
    """check_all, rechecked with backoff until in sync or `wait` seconds have passed; the last checks.

    Before each recheck `on_retry` gets the summaries of the collections out of sync and the delay."""
    deadline = time.monotonic() + wait
    rounds = 0
    while True:
        checks = check_all(db, ditto, size, mode)
        behind = [c.summary() for c in checks if not c.in_sync]
        left = deadline - time.monotonic()
        if not behind or left <= 0:
            return checks
        delay = min(backoff(rounds), left)
        if on_retry:
            on_retry(behind, delay)
        time.sleep(delay)
        rounds += 1


def metadata_line(checks: list[CollectionCheck]) -> str:
    """Which connector fields the comparison left out, and on how many of the compared documents they were."""
    sampled = sum(c.sampled for c in checks)
    found = sum((c.metadata for c in checks), Counter())
    return (
        f"not compared: the connector's metadata ({', '.join(METADATA_FIELDS)}), on {found['MongoDB']:,} of "
        f"{sampled:,} compared documents in MongoDB and {found['Ditto']:,} of their copies in Ditto"
    )


@dataclass(frozen=True)
class Rejected:
    """Device writes MongoDB rejected, as the connector parks them in UNSYNCED: how many, the first few named."""

    count: int
    examples: list[str]


def rejected_writes(db: Database, limit: int = REJECTED_SHOWN) -> Rejected | None:
    """What the connector could not write to MongoDB; None when it has not made its collection (yet)."""
    if UNSYNCED not in db.list_collection_names(filter={"name": UNSYNCED}):
        return None
    parked = db[UNSYNCED]
    examples = []
    for doc in parked.find().sort("_id", 1).limit(limit):
        reason = next((doc[k] for k in REASON_FIELDS if k in doc), None)
        said = show(reason, 120) if reason is not None else "fields " + ", ".join(map(str, doc))
        examples.append(f"{show(doc.get('_id'), 80)}: {said}")
    return Rejected(parked.count_documents({}), examples)


def details(checks: list[CollectionCheck], limit: int = 10) -> list[str]:
    """One line per missing or differing document (at most `limit` per collection and kind)."""
    lines = []
    for check in checks:
        lines += [f"{check.name} {doc_id}: missing in Ditto" for doc_id in check.missing[:limit]]
        for doc_id, problems in list(check.differing.items())[:limit]:
            more = f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
            lines.append(f"{check.name} {doc_id}: {'; '.join(problems[:3])}{more}")
        hidden = max(len(check.missing) - limit, 0) + max(len(check.differing) - limit, 0)
        if hidden:
            lines.append(f"{check.name}: {hidden} more not shown")
    return lines
