"""The default dataset, loaded once for the session (conftest.default_load): the real default-size load has
exact counts, and SAMPLE_QUERIES.md pastes as it is: its values exist in that dataset, and every mongosh block,
pasted in order into one session of the real mongosh, answers against it."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path

import pytest

from common import PROJECT_ROOT
from helpers import counts, expected_counts, number, planned_counts, printed_table, run_mongosh
from zava.catalog.loader import load_catalog
from zava.docs.sample_queries import COMPUTED, EXAMPLE, EXAMPLE_PRODUCT_ID
from zava.generation.dataset import Dataset, DatasetSpec
from zava.model.ids import CUSTOMER_ID, ORDER_ID
from zava.model.shoppers import SEGMENT_NAMES

DOC = (PROJECT_ROOT / "SAMPLE_QUERIES.md").read_text()
DEFAULTS = {"customers": 25_000, "orders": 100_000, "seed": 42}  # generate_mongodb_data.py without options
# Field names whose string values in a block are names of the query's own making, not data.
STRUCTURAL = {"from", "localField", "foreignField", "as", "index", "path"}


def blocks(lang: str) -> dict[str, str]:
    """Each fenced block of a language, keyed by its section's query name (`name`, `name#2`, ...)."""
    found: dict[str, str] = {}
    for section in re.split(r"^## ", DOC, flags=re.M)[1:]:
        name = re.match(r"`(\w+)`", section)
        for i, code in enumerate(re.findall(rf"^```{lang}\n(.*?)\n```$", section, flags=re.M | re.S)):
            if name:
                found[name[1] + (f"#{i + 1}" if i else "")] = code
    return found


@cache
def planned_default_dataset() -> Dataset:
    """The generator's dataset for its default settings (ending today): what the literals must exist in."""
    end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    spec = DatasetSpec(DEFAULTS["customers"], DEFAULTS["orders"], end - timedelta(days=3 * 365), end, DEFAULTS["seed"])
    return Dataset(spec, load_catalog())


def exists(field: str, value) -> bool:
    data = planned_default_dataset()
    if field in ("store_id", "primary_store_id"):
        return value in {s["store_id"] for s in data.stores()}
    if field == "segment":
        return value in SEGMENT_NAMES
    if field == "sku":
        return value in {p.sku for p in data.products}
    if field == "product_id":
        return value in {p.product_id for p in data.products}
    if field == "category_id":
        return value in {c["category_id"] for c in data.categories()}
    if field == "customer_id":
        return CUSTOMER_ID(1) <= value <= CUSTOMER_ID(DEFAULTS["customers"])
    if field == "order_id":
        return ORDER_ID(1) <= value <= ORDER_ID(DEFAULTS["orders"])
    if field == "email":
        number = int(EXAMPLE.customer_id.removeprefix("cust_"))
        return value == data.customer_docs(number - 1, number)[0]["email"]  # the pasted email is the example's
    if field == "location.aisle":
        return any(i["location"]["aisle"] == value for i in data.inventory_docs() if i["store_id"] == EXAMPLE.store_id)
    raise AssertionError(f"no check for {field}")


CHECKED = {
    "store_id",
    "primary_store_id",
    "segment",
    "sku",
    "product_id",
    "category_id",
    "customer_id",
    "order_id",
    "email",
    "location.aisle",
}


def test_every_literal_in_the_mongosh_blocks_exists_in_the_default_dataset():
    seen = set()
    for name, code in blocks("js").items():
        assert "getCollection" not in code and ":" + "store_id" not in code, name
        for field, value in re.findall(r'"(\w+(?:\.\w+)?)": "([^"$][^"]*)"', code):
            if field in STRUCTURAL:
                continue
            assert field in CHECKED, f"{name}: {field} = {value!r} is not checked"
            assert exists(field, value), f"{name}: {field} = {value!r} is not in the default dataset"
            seen.add(field)
    assert seen == CHECKED
    assert exists("customer_id", EXAMPLE.customer_id) and exists("email", EXAMPLE.email)
    shoppers, index = planned_default_dataset().shoppers, int(EXAMPLE.customer_id.removeprefix("cust_")) - 1
    alike = shoppers.rate[shoppers.segment == shoppers.segment[index]]
    assert (alike > shoppers.rate[index]).mean() <= 0.05  # a regular: the example has orders in any window
    assert exists("product_id", EXAMPLE_PRODUCT_ID)
    assert next(p for p in planned_default_dataset().products if p.product_id == EXAMPLE_PRODUCT_ID).sku == EXAMPLE.sku


def test_constants_are_declared_once_and_every_dql_block_shows_its_arguments():
    consts = re.findall(r"^const (\w+) = ", DOC, flags=re.M)
    assert len(consts) == len(set(consts)), "a name declared twice fails when blocks are pasted into one session"
    assert {const for const, _ in COMPUTED.values()} <= set(consts)
    js = blocks("js")
    for block, dql in blocks("sql").items():
        name = block.partition("#")[0]
        statements = [line for line in dql.splitlines() if not line.startswith("-- ")]
        assert len(statements) == 1 and ";" not in statements[0], f"{block}: one statement per block (one execute)"
        if name not in js and not name.startswith("product_search"):
            continue  # the subscriptions and updates sections: their statements carry no arguments
        wanted = set(re.findall(r"(?<!:):(\w+)", dql))
        if not wanted:
            assert not dql.startswith("-- args:"), name
            continue
        first, _, _ = dql.partition("\n")
        assert first.startswith("-- args: "), f"{name}: the DQL block does not show its arguments"
        declared = set(re.findall(r"^const (\w+) = ", js.get(name, ""), flags=re.M))
        quoted = re.sub(r"(?<=: )([A-Za-z]\w*)(?=[,}])", r'"@\1"', first.removeprefix("-- args: "))
        args = json.loads(quoted)
        assert set(args) == wanted, name
        for field, value in args.items():
            if isinstance(value, str) and value.startswith("@"):
                assert value[1:] in declared, f"{name}: {value[1:]} is not computed in the mongosh block"
            elif field == "aisle":
                assert exists("location.aisle", value)
            elif field in CHECKED:
                assert exists(field, value), f"{name}: {field} = {value!r}"


# ---------------------------------------------------------------- pasted into the real mongosh

MARK = "@@answer "  # starts each line the session prints for the test


def pasted(name: str, code: str) -> str:
    """The block as pasted but for its last statement, the one whose value the shell would show: that becomes
    zavaKeep(NAME, statement), which keeps the value for the session script. (load() throws a file's value
    away, and would first iterate a cursor's first batch away to show it.)"""
    lines = code.split("\n")
    last = max(i for i, line in enumerate(lines) if line and line[0] not in " )]}")
    assert not re.match(r"(const|let|var) ", lines[last]) and not code.rstrip().endswith((";", "}")), name
    lines[last] = f"zavaKeep({json.dumps(name)}, {lines[last]}"
    return "\n".join(lines) + ")\n"


def session(database: str, files: list[tuple[str, str]], consts: list[str]) -> str:
    """One mongosh script that load()s each block's file in order, as if pasted one after another: load()
    evaluates a file in the shell's own context, so a const a block declares is there for every later block,
    and the shell's implicit awaits apply. After each block it prints MARK + {name, result} or {name, error} as
    relaxed EJSON, a cursor turned into its documents with toArray(); last, the type of every const declared."""
    seen = ", ".join(f"{json.dumps(c)}: typeof {c}" for c in consts)
    return f"""db = db.getSiblingDB({json.dumps(database)});
const zavaMark = {json.dumps(MARK)};
const zavaAnswers = {{}};
function zavaKeep(name, value) {{
  zavaAnswers[name] = value;
}}
for (const [zavaName, zavaFile] of {json.dumps(files)}) {{
  try {{
    load(zavaFile);
    let zavaValue = zavaAnswers[zavaName];
    if (zavaValue && typeof zavaValue.toArray === "function") zavaValue = zavaValue.toArray();
    print(zavaMark + EJSON.stringify({{name: zavaName, result: zavaValue}}, {{relaxed: true}}));
  }} catch (zavaError) {{
    print(zavaMark + JSON.stringify({{name: zavaName, error: String((zavaError && zavaError.message) || zavaError)}}));
  }}
}}
print(zavaMark + JSON.stringify({{name: "(consts)", result: {{{seen}}}}}));
"""


def run_in_mongosh(uri: str, database: str, snippets: dict[str, str], folder: Path) -> dict:
    """{name: {result} | {error}} of each block, from one mongosh process."""
    files = []
    for i, (name, code) in enumerate(snippets.items()):
        path = folder / f"block_{i:02d}.js"
        path.write_text(pasted(name, code))
        files.append((name, str(path)))
    script = folder / "session.js"
    script.write_text(session(database, files, re.findall(r"^const (\w+) = ", DOC, flags=re.M)))
    done = run_mongosh(uri, folder / "home", str(script), timeout=600)
    assert done.returncode == 0, done.stderr or done.stdout
    answers = {}
    for line in done.stdout.splitlines():
        if line.startswith(MARK):
            answer = json.loads(line.removeprefix(MARK))
            answers[answer.pop("name")] = answer
    return answers


@pytest.fixture(scope="module")
def default_db(default_dataset):
    """The dataset generate_mongodb_data.py makes with its defaults (ending today), indexed: shared, read only."""
    return default_dataset[0]


def test_every_mongosh_block_answers_in_one_mongosh_session(default_db, mongo_uri, tmp_path):
    snippets = blocks("js")
    answers = run_in_mongosh(mongo_uri, default_db.name, snippets, tmp_path)
    consts = answers.pop("(consts)")["result"]  # still defined after the last block: one session, as pasted
    assert consts and all(kind != "undefined" for kind in consts.values()), consts
    assert list(answers) == list(snippets)
    atlas = "product_search_vector"  # $vectorSearch: Atlas only
    for name, answer in answers.items():
        if name == atlas and "error" in answer:
            assert "vectorSearch" in answer["error"], answer  # a server without Atlas Search refuses the stage
            continue
        assert "error" not in answer, f"{name}: {answer.get('error')}"
        assert answer.get("result"), f"{name} answered nothing"
    got = {name: answer.get("result") for name, answer in answers.items()}
    assert got["store_by_id"]["store_id"] == EXAMPLE.store_id and got["product_by_sku"]["sku"] == EXAMPLE.sku
    assert got["customer_by_email"]["customer_id"] == EXAMPLE.customer_id
    assert (
        got["order_with_items"]["customer_id"]
        == default_db.orders.find_one({"order_id": EXAMPLE.order_id})["customer_id"]
    )
    low = got["low_stock"]
    assert {"store_name", "product_name", "sku", "stock_level", "reorder_threshold", "location"} <= set(low[0])
    assert all(row["stock_level"] <= row["reorder_threshold"] for row in low)
    assert len(got["sales_by_store_year"]) == 8 and all(row["store_name"] for row in got["sales_by_store_year"])
    assert len(got["monthly_sales"]) == 13 and len(got["top_products_30_days"]) == 10
    assert len(got["product_search_text"]) == 5
    nearest = got["product_search_vector#2"]
    assert len(nearest) == 5 and nearest[0]["product_id"] == EXAMPLE_PRODUCT_ID


def test_default_size_load_has_exact_counts(default_load):
    """`python scripts/generate_mongodb_data.py` with no size flags (conftest.default_load), dates ending the day
    it ran (UTC)."""
    db, settings, result = default_load
    got = counts(db.client, db.name)
    assert got == expected_counts(100_000, 25_000, got["order_items"])
    last_day = re.search(r"orders dated \d{4}-\d\d-\d\d to (\d{4}-\d\d-\d\d)", result.stderr)[1]
    end = date.fromisoformat(last_day) + timedelta(days=1)  # today (UTC) when it ran
    assert got == planned_counts([*settings, "--end-date", str(end)])
    assert 200_000 <= got["order_items"] <= 220_000
    printed = printed_table(result.stdout, "collection", "documents", "seconds", "docs/s")
    assert {name: number(row[0]) for name, row in printed.items()} == {**got, "total (wall clock)": sum(got.values())}
    assert f"{sum(got.values()):,} documents generated into database {db.name!r}" in result.stderr
    order = db.orders.find_one({"order_id": "order_00050000"})
    items = list(db.order_items.find({"order_id": "order_00050000"}))
    assert order["item_count"] == len(items)
    assert round(sum(i["unit_price"] * i["quantity"] for i in items), 2) == order["subtotal"]
    assert round(sum(i["discount_amount"] for i in items), 2) == order["discount_total"]
    assert round(order["subtotal"] - order["discount_total"] + order["tax"], 2) == order["total"]
