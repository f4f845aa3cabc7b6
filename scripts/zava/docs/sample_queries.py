"""SAMPLE_QUERIES.md, rendered from the sample query definitions, the search pipelines and the Ditto statements."""

from __future__ import annotations

import json

from zava.ditto.dql import SUBSCRIPTIONS, UPDATES
from zava.ditto.translate import query_dql
from zava.reads.queries import PLACEHOLDERS, QUERIES, render_call
from zava.reads.search import (
    SEARCH_LIMIT,
    text_pipeline,
    vector_pipeline,
)


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
        lines += ["```", "", "Ditto (DQL):", "", "```sql", query_dql(query), "```", ""]
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
