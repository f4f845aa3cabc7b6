"""SAMPLE_QUERIES.md, rendered from the sample query definitions, the search pipelines and the Ditto statements."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from zava.ditto.dql import SUBSCRIPTIONS, UPDATES
from zava.ditto.translate import query_statements
from zava.model.indexes import VECTOR_COLLECTION, VECTOR_PATH
from zava.model.rules import LIVE
from zava.reads.calls import params_in
from zava.reads.mongosh import JsCode, js, pipeline_js, render_query
from zava.reads.queries import QUERIES, Params, SampleQuery
from zava.reads.search import SEARCH_LIMIT, text_pipeline, vector_pipeline

# The values the pasteable blocks use: each exists in the dataset `generate_mongodb_data.py` makes with its
# defaults (seed 42, 25,000 customers, 100,000 orders), whatever its end date. The customer is a regular (among the
# 5% of homeowners who order most: about 25 orders in three years) and the email is theirs (the test checks each
# against the generator).
EXAMPLE = Params(
    store_id="store_seattle",
    sku="PWR-DRILL-001",
    email="brian.james143@example.org",
    order_id="order_00000001",
    customer_id="cust_000143",
    aisle="01",
    category_id="cat_power_tools",
    min_price=50,
    max_price=150,
    search="cordless drill",
)
EXAMPLE_PRODUCT_ID = "prod_pwr_drill_001"  # the product whose description vector the vector search starts from
LIKE_PATTERN = "%Cordless%Drill%"  # what an app's catalog filter matches in DQL instead of $text

# Time windows end now; timestamps in the data are strings "YYYY-MM-DDTHH:MM:SSZ". Name -> (constant, JavaScript).
_DAYS_AGO = 'new Date(Date.now() - {days} * 864e5).toISOString().slice(0, {cut}) + "{tail}"'
COMPUTED: dict[str, tuple[str, str]] = {
    "since": ("monthAgo", _DAYS_AGO.format(days=30, cut=19, tail="Z")),
    "year_since": ("yearAgo", _DAYS_AGO.format(days=365, cut=19, tail="Z")),
    "trend_since": ("trendFrom", _DAYS_AGO.format(days=365, cut=8, tail="01T00:00:00Z")),
}


def computed_const(query: SampleQuery, name: str) -> str:
    """The constant a query's block computes `name` in: COMPUTED's name in the first query that uses it, then that
    name numbered (`yearAgo2`), since blocks pasted into one session cannot declare a constant twice."""
    users = [q.name for q in QUERIES if name in params_in(q.calls)]
    nth = users.index(query.name)
    return COMPUTED[name][0] + (str(nth + 1) if nth else "")


def example_values(query: SampleQuery) -> dict[str, Any]:
    """Each parameter as a query's pasteable block shows it: a literal, or the name of the constant computing it."""
    values: dict[str, Any] = {f.name: getattr(EXAMPLE, f.name) for f in fields(Params)}
    used = params_in(query.calls)
    return {**values, **{name: JsCode(computed_const(query, name)) for name in COMPUTED if name in used}}


def mongosh_block(query: SampleQuery) -> list[str]:
    """The query's pasteable mongosh: a `const` for each computed value it uses, then its calls."""
    used = params_in(query.calls)
    consts = [f"const {computed_const(query, name)} = {COMPUTED[name][1]}" for name in used if name in COMPUTED]
    return consts + render_query(query, example_values(query))


def args_line(query: SampleQuery, names: list[str]) -> str:
    """The DQL arguments as an app passes them: literals, or the constants of the query's mongosh block above."""
    values = example_values(query)
    return "-- args: " + js({name: values[name] for name in names})


SUBSTR_NOTE = (
    "Ditto's DQL pages do not say whether `SUBSTR` counts from 0 or 1; `python "
    "scripts/ditto_local_check.py` runs this DQL on a real local Ditto store (Ditto Python SDK 5.x, strict mode off) "
    "and gets MongoDB's answer, and the test suite does so wherever the SDK is installed."
)


def substr_note(statements: tuple[str, ...]) -> list[str]:
    return [SUBSTR_NOTE, ""] if any("SUBSTR(" in dql for dql in statements) else []


def dql_blocks(query: SampleQuery) -> list[str]:
    """One block per statement, each pasted as one `execute` call with its arguments above it."""
    lines = []
    for call, dql in zip(query.ditto_calls(), query_statements(query)):
        names = params_in([call])
        lines += ["```sql", *([args_line(query, names)] if names else []), dql, "```", ""]
    if len(query.ditto_calls()) > 1:
        lines += ["Each block is its own `execute` call: one DQL statement per call.", ""]
    return lines


def text_search_block() -> list[str]:
    stages = text_pipeline(EXAMPLE.search, SEARCH_LIMIT)
    return [f"db.products.aggregate({pipeline_js(stages)})"]


def _vector_of(const: str) -> str:
    found = {"product_id": EXAMPLE_PRODUCT_ID}
    return f"const {const} = db.{VECTOR_COLLECTION}.findOne({js(found)}, {js({'_id': 0, VECTOR_PATH: 1})})"


def vector_search_block() -> list[str]:
    stages = vector_pipeline(JsCode(f"drillVector.{VECTOR_PATH}"), SEARCH_LIMIT)
    return [_vector_of("drillVector"), f"db.{VECTOR_COLLECTION}.aggregate({pipeline_js(stages)})"]


def exact_vector_block() -> list[str]:
    every = js(LIVE), js({"_id": 0, "product_id": 1, VECTOR_PATH: 1})
    return [
        _vector_of("drillVectorToo"),
        f"const embeddings = db.{VECTOR_COLLECTION}.find({every[0]}, {every[1]}).toArray()",
        "const dot = (a, b) => a.reduce((sum, x, i) => sum + x * b[i], 0)",
        "const cosine = (a, b) => dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b))",
        f"embeddings.map(d => ({{product_id: d.product_id, score: cosine(d.{VECTOR_PATH}, "
        f"drillVectorToo.{VECTOR_PATH})}}))"
        f".sort((a, b) => b.score - a.score || a.product_id.localeCompare(b.product_id)).slice(0, {SEARCH_LIMIT})",
    ]


def markdown() -> str:
    """SAMPLE_QUERIES.md: every query as it runs, in mongosh and DQL, then the Ditto subscriptions and updates."""
    lines = [
        "# Sample queries",
        "",
        "Every query below is what `python scripts/sample_queries.py` runs (this file is its `--markdown`",
        "output, and a test keeps the two equal). Each mongosh block pastes as it is into `mongosh` connected to",
        "the dataset `python scripts/generate_mongodb_data.py` makes with its defaults: the store, SKU, customer,",
        "email, order and aisle in them exist there whatever the end date. Time windows end now, computed by a",
        "`const` line (timestamps in the data are strings `YYYY-MM-DDTHH:MM:SSZ`). Where one query makes several",
        "calls, each earlier result is kept in a `const` the next call reads; the last call's answer is shown.",
        "",
        "Each DQL block starts with its arguments (`-- args:`), as an app passes them to `ditto.store.execute`;",
        "a computed one names the constant of the mongosh block above it.",
        "",
        "The script takes its values from the loaded data instead: the latest order and its customer, the first",
        "SKU, the first aisle of `store_seattle`; its time windows end on the latest order's day.",
        "",
        "Run them: `python scripts/sample_queries.py` (all) or `--only NAME`.",
        "",
    ]
    for query in QUERIES:
        lines += [f"## `{query.name}`: {query.title}", "", "MongoDB (mongosh):", "", "```js"]
        lines += mongosh_block(query)
        lines += ["```", "", "Ditto (DQL):", "", *dql_blocks(query)]
        lines += substr_note(query_statements(query))
        if query.note:
            lines += [query.note, ""]
    lines += [
        "## `product_search_text`: products by words",
        "",
        "MongoDB (mongosh):",
        "",
        "```js",
        *text_search_block(),
        "```",
        "",
        "Needs the `products_text` index (`python scripts/create_indexes.py`). Ditto (DQL) has no text index;",
        "apps filter their local catalog by name instead:",
        "",
        "```sql",
        f"-- args: {js({'pattern': LIKE_PATTERN})}",
        "SELECT * FROM products WHERE product_name LIKE :pattern AND deleted = false ORDER BY product_name",
        "```",
        "",
        "## `product_search_vector`: products by meaning",
        "",
        f"Products whose description is nearest in meaning to {EXAMPLE.sku}'s. With Atlas Vector Search (the",
        "`product_description_vector` index):",
        "",
        "```js",
        *vector_search_block(),
        "```",
        "",
        "Elsewhere (the local server, MongoDB without Atlas Search) the script reads every embedding and ranks",
        "by exact cosine similarity with numpy (for 424 products that takes milliseconds), as this does:",
        "",
        "```js",
        *exact_vector_block(),
        "```",
        "",
        "The script embeds the search words with the embedder that made the stored vectors; the blocks above",
        "start from a stored vector so they paste as they are. No DQL: embeddings never sync to Ditto, and DQL",
        "has no vector search.",
        "",
        "## Ditto subscriptions per app role",
        "",
    ]
    for role, statements in SUBSCRIPTIONS.items():
        lines += [f"### {role}", "", "| subscription | for |", "|---|---|"]
        lines += [f"| `{s.dql}` | {s.purpose} |" for s in statements]
        lines.append("")
    lines += [
        "## Ditto updates the apps issue",
        "",
        "`location_move` sets fields inside `location` (`SET location.aisle = …`), so two devices moving",
        "different fields both win: `location` is a MAP only with DQL strict mode off, on the apps (the",
        "default from SDK 5.0; SDK 4.11 to 4.x must run `ALTER SYSTEM SET DQL_STRICT_MODE = false` before",
        "starting sync) and on the connector's collections. CONNECTOR_SETUP.md (DQL strict mode) has the details.",
        "",
    ]
    for name, statement in UPDATES.items():
        lines += [
            f"### `{name}`",
            "",
            statement.purpose[0].upper() + statement.purpose[1:] + ".",
            "",
        ]
        for one in statement.statements:
            lines += ["```sql", one, "```", ""]
        if len(statement.statements) > 1:
            lines += ["Each block is its own `execute` call: one DQL statement per call.", ""]
    return "\n".join(lines).rstrip() + "\n"
