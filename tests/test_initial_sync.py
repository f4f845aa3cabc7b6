"""trigger_initial_sync.py marks every synced document once, by collection, and resumes after Ctrl+C."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
import uuid

import pytest

import trigger_initial_sync
from helpers import SCRIPTS, SMALL_CUSTOMERS, SMALL_ORDERS, refusal, scratch_dataset, start_script
from zava.model.collections import SYNCED_COLLECTIONS
from zava.mongo.initial_sync import MARKER_FIELD, SyncState

# a dataset whose orders and items take the trigger a few seconds: it is still running when stopped
STOPPABLE = ["--customers", "500", "--orders", "5000"]
# the saved state of a run is a file in the project, named after the database: a name no other session uses
RUN = uuid.uuid4().hex[:10]


def marked(db) -> dict[str, set]:
    return {name: {d.get(MARKER_FIELD) for d in db[name].find({}, {MARKER_FIELD: 1})} for name in SYNCED_COLLECTIONS}


def unmarked(db) -> None:
    """Back to the dataset as loaded: no marker anywhere, no saved state of a run."""
    for name in SYNCED_COLLECTIONS:
        db[name].update_many({MARKER_FIELD: {"$exists": True}}, {"$unset": {MARKER_FIELD: ""}})
    SyncState.path(db.name).unlink(missing_ok=True)


def module_dataset(mongo_uri, tmp_path_factory, name: str, sizes: list[str]):
    """A scratch dataset for the module, its saved state of a run removed at the end."""
    with scratch_dataset(mongo_uri, tmp_path_factory.mktemp("env"), f"{name}_{RUN}", sizes) as dataset:
        yield dataset
        SyncState.path(dataset[0].name).unlink(missing_ok=True)


@pytest.fixture(scope="module")
def small_dataset(mongo_uri, tmp_path_factory):
    sizes = ["--customers", str(SMALL_CUSTOMERS), "--orders", str(SMALL_ORDERS)]
    yield from module_dataset(mongo_uri, tmp_path_factory, "zava_initial_sync", sizes)


@pytest.fixture
def small(small_dataset):
    """The module's small dataset (helpers.SMALL sizes), unmarked: (the database, the --env-file flag)."""
    unmarked(small_dataset[0])
    return small_dataset


@pytest.fixture(scope="module")
def stoppable_dataset(mongo_uri, tmp_path_factory):
    yield from module_dataset(mongo_uri, tmp_path_factory, "zava_initial_sync_stop", STOPPABLE)


@pytest.fixture
def stoppable(stoppable_dataset):
    """The module's STOPPABLE dataset, unmarked: (the database, the --env-file flag)."""
    unmarked(stoppable_dataset[0])
    return stoppable_dataset


def test_trigger_marks_every_synced_document_once(small, capsys):
    loaded, settings = small
    assert trigger_initial_sync.main(settings) == 1  # no terminal, no --yes
    total = sum(loaded[name].count_documents({}) for name in SYNCED_COLLECTIONS)
    question = f"{total:,} documents in {', '.join(SYNCED_COLLECTIONS)} will get {MARKER_FIELD} = <stamp>."
    pattern = re.escape(refusal(question)).replace("<stamp>", r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert re.fullmatch(pattern, last), last
    assert loaded.orders.count_documents({MARKER_FIELD: {"$exists": True}}) == 0
    assert trigger_initial_sync.main([*settings, "--yes"]) == 0
    out, _ = capsys.readouterr()
    markers = marked(loaded)
    assert all(len(values) == 1 and None not in values for values in markers.values())
    assert len({next(iter(v)) for v in markers.values()}) == 1
    assert loaded.product_embeddings.count_documents({MARKER_FIELD: {"$exists": True}}) == 0
    rows = {line.split()[0]: line.split()[1:3] for line in out.splitlines()[2:]}
    for name in SYNCED_COLLECTIONS:
        assert rows[name][0] == rows[name][1] == f"{loaded[name].count_documents({}):,}", name
    assert not SyncState.path(loaded.name).exists()


def test_trigger_collections_flag_and_bad_names(small, capsys):
    loaded, settings = small
    assert trigger_initial_sync.main([*settings, "--yes", "--collections", "stores,inventory"]) == 0
    assert loaded.stores.count_documents({MARKER_FIELD: {"$exists": True}}) == 8
    assert loaded.inventory.count_documents({MARKER_FIELD: {"$exists": True}}) == 3168
    assert loaded.orders.count_documents({MARKER_FIELD: {"$exists": True}}) == 0
    assert trigger_initial_sync.main([*settings, "--yes", "--collections", "stores,product_embeddings"]) == 2
    assert "--collections: product_embeddings not synced" in capsys.readouterr().err


@pytest.mark.parametrize(("stop", "code"), [(signal.SIGINT, 130), (signal.SIGHUP, 129)])
def test_trigger_resume_continues_after_a_stop(stoppable, stop, code):
    db, settings = stoppable
    command = [sys.executable, str(SCRIPTS / "trigger_initial_sync.py"), *settings, "--yes"]
    process = start_script("trigger_initial_sync", *command[2:])
    deadline = time.monotonic() + 120
    while db.orders.count_documents({MARKER_FIELD: {"$exists": True}}) < 2000:
        assert process.poll() is None and time.monotonic() < deadline, "finished before it could be interrupted"
        time.sleep(0.05)
    process.send_signal(stop)
    _, err = process.communicate(timeout=60)
    assert process.returncode == code and "--resume" in err, err
    state = json.loads(SyncState.path(db.name).read_text())
    resumed = subprocess.run([*command, "--resume"], capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    markers = marked(db)
    assert all(values == {state["marker"]} for values in markers.values())
    total = sum(db[name].count_documents({}) for name in SYNCED_COLLECTIONS)
    touched = int(resumed.stderr.split(" documents touched")[0].split()[-1].replace(",", ""))
    assert touched == total  # each document counted once over both runs
    assert set(state["done"]) >= {"stores", "customers"}
    done_earlier = [line.split()[0] for line in resumed.stdout.splitlines() if line.endswith("done earlier")]
    assert done_earlier == state["done"]


def test_resume_without_saved_state_starts_a_new_run_that_asks_first(small, capsys):
    loaded, settings = small
    assert trigger_initial_sync.main([*settings, "--resume"]) == 1  # a new run: no terminal, no --yes
    err = capsys.readouterr().err
    assert "nothing to resume: starting a new run" in err and "pass --yes to proceed" in err
    assert all(values == {None} for values in marked(loaded).values())
    assert trigger_initial_sync.main([*settings, "--resume", "--yes"]) == 0
    assert "nothing to resume: starting a new run" in capsys.readouterr().err
    markers = marked(loaded)
    assert len(set().union(*markers.values())) == 1 and None not in set().union(*markers.values())
    assert not SyncState.path(loaded.name).exists()


def test_resume_with_saved_state_continues_that_run_without_asking(small, capsys):
    loaded, settings = small
    earlier = "2020-01-01T00:00:00Z"
    loaded.stores.update_many({}, {"$set": {MARKER_FIELD: earlier}})
    SyncState(marker=earlier, touched={"stores": 8}, done=["stores"]).save(loaded.name)
    try:
        assert trigger_initial_sync.main([*settings, "--resume"]) == 0, capsys.readouterr().err
        assert not SyncState.path(loaded.name).exists()  # the run it continued is complete
    finally:
        SyncState.path(loaded.name).unlink(missing_ok=True)
    out, err = capsys.readouterr()
    assert "nothing to resume" not in err
    assert all(values == {earlier} for values in marked(loaded).values())
    done_earlier = [line.split()[0] for line in out.splitlines() if line.endswith("done earlier")]
    assert done_earlier == ["stores"]
