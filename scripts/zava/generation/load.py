"""The whole load: a dataset generated from the settings and streamed into MongoDB, JSON-lines files or nowhere.

Every way it can stop (Ctrl-C, a dead worker, a server error) ends in one line that says what the target holds
and the command that completes it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pymongo.errors import PyMongoError

from zava.catalog.embeddings import provider_from_settings
from zava.catalog.loader import load_catalog
from zava.console import confirm, say
from zava.ditto.connector import LEFT_TO_THE_CONNECTOR
from zava.errors import Interrupted, KitError
from zava.generation.dataset import Dataset, DatasetSpec
from zava.generation.loader import DigestSink, JsonLinesSink, LoadStats, MongoSink, Sink, load, written
from zava.generation.parallel import WorkerDied, Workers, choose_workers
from zava.generation.parts import Part, written_by
from zava.mongo import reload
from zava.mongo.connect import connect, describe_mongo_error, server_errors
from zava.mongo.server import server_info
from zava.settings import Config

RERUN = "python scripts/generate_mongodb_data.py --yes"


@dataclass(frozen=True)
class LoadRequest:
    """What to load and where, beyond the settings: one part or all, to files, nowhere, or the server."""

    part: Part | None = None
    out: Path | None = None  # JSON-lines files instead of the server
    dry_run: bool = False  # generate and encode, write nothing
    embeddings: str | None = None  # the provider; None: EMBEDDING_PROVIDER, else local
    assume_yes: bool = False
    quiet: bool = False


@dataclass
class LoadResult:
    """What a finished load did."""

    stats: LoadStats
    expected: dict[str, int]
    where: str
    workers: int
    digest: str = ""  # dry run only
    encoded_bytes: int = 0  # dry run only
    rebuilt_indexes: int = 0  # set aside for a reload and rebuilt after it
    rebuild_seconds: float = 0.0


def prepare_mongo(config: Config, filters: reload.Filters | None, assume_yes: bool, quiet: bool) -> reload.Room:
    """Connect, then make room for the load (after confirmation when it replaces documents)."""
    db = connect(config, quiet)[config.database]
    with server_errors(config.mongo_uri):
        kind = server_info(db.client).describe()
        replaced = reload.present(db, filters)
        if replaced:
            listing = ", ".join(f"{name} {n:,}" for name, n in replaced.items())
            if not quiet:
                say(LEFT_TO_THE_CONNECTOR)
            confirm(
                f"Database {config.database!r} already holds {'data' if filters is None else 'this part'} "
                f"({listing}); it will be replaced (collections, their options and indexes are kept).",
                "REPLACE DATA",
                assume_yes,
            )
        room = reload.make_room(db, filters, replaced)
    if not quiet:
        say(f"Loading into database {config.database!r} on {kind}")
        if room.index_note():
            say(room.index_note())
    return room


def incomplete(stats: LoadStats, where: str, rerun: str, room: reload.Room | None, after: str = "") -> str:
    """What a stopped load leaves behind and the command that completes it."""
    also = ""
    if room and room.set_aside and room.set_aside.dropped:
        also = f" (it rebuilds the {len(room.set_aside.dropped)} indexes set aside for the load)"
    return (
        f"the load is incomplete: {where} holds {written(stats)} documents of a partial dataset. "
        f"Run `{rerun}`{after} to complete it{also}."
    )


def load_dataset(config: Config, request: LoadRequest) -> LoadResult:
    """Generate the dataset the settings describe and write it where the request says."""
    catalog = load_catalog()
    provider = request.embeddings or config.get("EMBEDDING_PROVIDER", "local")
    dataset = Dataset(
        DatasetSpec.from_config(config), catalog, provider_from_settings(provider, config.values, catalog)
    )
    part = request.part
    tasks = part.select(dataset.tasks()) if part else dataset.tasks()
    filters = [f for task in tasks for f in written_by(task)] if part else None
    expected = dataset.counts_of(tasks) if part else dataset.expected_counts()
    to_server = not (request.dry_run or request.out)
    workers = choose_workers(config.workers, config.mongo_uri if to_server else None)
    sink: Sink | None = DigestSink() if request.dry_run else JsonLinesSink(request.out) if request.out else None
    where = "nowhere (dry run)" if request.dry_run else f"JSON-lines files in {request.out}"
    rerun = RERUN + (f" --part {part}" if part else "")
    room, stats = None, LoadStats()
    with Workers(dataset, sink.encoding if sink else MongoSink.encoding, workers) as pool:
        if to_server:
            try:
                room = prepare_mongo(config, filters, request.assume_yes, request.quiet)
            except KeyboardInterrupt:
                raise Interrupted(
                    f"interrupted before the load; database {config.database!r} may be partly emptied. "
                    f"Run `{rerun}` to load a complete dataset."
                ) from None
            sink, where = MongoSink(room.db, config.batch_size), f"database {config.database!r}"
        try:
            load(pool.batches(tasks), sink, expected, request.quiet, stats)
        except KeyboardInterrupt:
            raise Interrupted(f"interrupted; {incomplete(stats, where, rerun, room)}") from None
        except WorkerDied as exc:
            raise KitError(f"{exc}; {incomplete(stats, where, rerun, room)}") from None
        except PyMongoError as exc:
            problem = describe_mongo_error(exc, config.mongo_uri)
            raise KitError(f"{problem}; {incomplete(stats, where, rerun, room, ' when the server is back')}") from None
    result = LoadResult(stats, expected, where, workers)
    if isinstance(sink, DigestSink):
        result.digest, result.encoded_bytes = sink.digest, sink.bytes
    if room:
        try:
            with server_errors(config.mongo_uri):
                result.rebuild_seconds = reload.restore_indexes(room, server_info(room.db.client))
                reload.verify(room.db, filters, expected)
        except KeyboardInterrupt:
            raise Interrupted(
                "interrupted while rebuilding the indexes set aside for the load; the data is complete. "
                "Run `python scripts/create_indexes.py` to finish them."
            ) from None
        result.rebuilt_indexes = len(room.set_aside.dropped) if room.set_aside else 0
    return result
