"""Run the sample queries demo apps use (or --only one), with timings; --markdown prints SAMPLE_QUERIES.md."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from common import ConfigError, base_parser, cli, connect_from_args, ok, say, server_info, table
from dql import SUBSCRIPTIONS, UPDATES
from queries import PLACEHOLDERS, QUERIES, Params, example_params, render_call, run_query
from search import (
    describe_hits,
    query_embedder,
    text_caveat,
    text_pipeline,
    text_search,
    vector_pipeline,
    vector_search,
)

SEARCH_QUERIES = ("product_search_text", "product_search_vector")
SEARCH_LIMIT = 5


def run_search(name: str, db, client, config, params: Params) -> list[dict[str, Any]]:
    if name == "product_search_text":
        caveat = text_caveat(server_info(client))
        if caveat:
            say(f"  {caveat}")
        hits = text_search(db, params.search, SEARCH_LIMIT)
    else:
        hits, how = vector_search(
            db, server_info(client), query_embedder(db, config.values), params.search, SEARCH_LIMIT
        )
        say(f"  vector search: {how}")
    return [
        {"sku": h["sku"], "product_name": h["product_name"], "score": round(h["score"], 4)}
        for h in describe_hits(db, hits)
    ]


def summary(answer: Any) -> str:
    """A compact one-line view of an answer."""
    if isinstance(answer, list):
        first = json.dumps(answer[0], default=str)[:110] if answer else ""
        return f"{len(answer)} rows; first: {first}"
    return json.dumps(answer, default=str)[:140]


def markdown() -> str:
    """SAMPLE_QUERIES.md: every query as it runs, in mongosh and DQL, then the Ditto subscriptions and updates."""
    lines = [
        "# Sample queries",
        "",
        "Every query below is what `python scripts/sample_queries.py` runs (this file is its `--markdown`",
        "output, and a test keeps the two equal). Parameters are written `:name`; the script takes them from",
        "the loaded data (the latest order, its customer, the first SKU, store `store_seattle`). `since` is",
        "30 days before the latest order. Where one query makes several calls, later calls use values from",
        "the earlier ones (`:field_from_above`). The Ditto side uses DQL with the same named arguments.",
        "",
        "Run them: `python scripts/sample_queries.py` (all) or `--only NAME`.",
        "",
    ]
    for query in QUERIES:
        lines += [f"## `{query.name}`: {query.title}", "", "MongoDB (mongosh):", "", "```js"]
        lines += [render_call(call) for call in query.calls]
        lines += ["```", "", "Ditto (DQL):", "", "```sql", query.dql, "```", ""]
        if query.note:
            lines += [query.note, ""]
    lines += [
        "## `product_search_text`: products by words",
        "",
        "```js",
        f'db.getCollection("products").aggregate({json.dumps(text_pipeline(PLACEHOLDERS.search, SEARCH_LIMIT))})',
        "```",
        "",
        "Needs the `products_text` index (`python scripts/create_indexes.py`). Ditto has no text index; apps",
        "filter their local catalog: `SELECT * FROM products WHERE product_name LIKE :pattern`.",
        "",
        "## `product_search_vector`: products by meaning",
        "",
        "With Atlas Vector Search (the `product_description_vector` index):",
        "",
        "```js",
        f'db.getCollection("product_embeddings").aggregate({json.dumps(vector_pipeline([":query_vector"], 5))})',
        "```",
        "",
        "Elsewhere (the local server, MongoDB without Atlas Search) the script reads every embedding and ranks",
        "by exact cosine similarity with numpy: for 424 products that takes milliseconds. The query vector",
        "comes from the same embedder that made the stored vectors. Embeddings never sync to Ditto.",
        "",
        "## Ditto subscriptions per app role",
        "",
    ]
    for role, statements in SUBSCRIPTIONS.items():
        lines += [f"### {role}", "", "| subscription | for |", "|---|---|"]
        lines += [f"| `{s.dql}` | {s.purpose} |" for s in statements]
        lines.append("")
    lines += ["## Ditto updates the apps issue", ""]
    for name, statement in UPDATES.items():
        lines += [
            f"### `{name}`",
            "",
            statement.purpose[0].upper() + statement.purpose[1:] + ".",
            "",
            "```sql",
            statement.dql,
            "```",
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"


@cli
def main(argv: list[str] | None = None) -> int:
    parser = base_parser(__doc__)
    names = [q.name for q in QUERIES] + list(SEARCH_QUERIES)
    parser.add_argument("--only", metavar="NAME", help=f"run one query: {', '.join(names)}")
    parser.add_argument("--markdown", action="store_true", help="print SAMPLE_QUERIES.md and exit (no server)")
    parser.add_argument("--json", action="store_true", help="print each answer in full as JSON")
    args = parser.parse_args(argv)
    if args.markdown:
        sys.stdout.write(markdown())
        return 0
    if args.only and args.only not in names:
        raise ConfigError(f"--only {args.only}: no such query; choose from {', '.join(names)}")
    config, client = connect_from_args(args)
    db = client[config.database]
    params = example_params(db)
    rows = []
    for name in [args.only] if args.only else names:
        began = time.perf_counter()
        query = next((q for q in QUERIES if q.name == name), None)
        answer = run_query(db, query, params) if query else run_search(name, db, client, config, params)
        elapsed = (time.perf_counter() - began) * 1000
        rows.append((name, round(elapsed, 1)))
        print(f"{name} ({elapsed:.0f} ms)")
        print(json.dumps(answer, indent=2, default=str) if args.json else f"  {summary(answer)}")
    print(table(["query", "ms"], rows))
    ok(f"{len(rows)} queries on {config.database!r} in {sum(r[1] for r in rows) / 1000:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
