"""Search the catalog by meaning (vector), by words (text) or both (hybrid, reciprocal rank fusion)."""

from __future__ import annotations

import sys

from common import connected
from zava.cli import base_parser, cli
from zava.console import say, table, warn
from zava.mongo.server import server_info
from zava.reads.search import describe_hits, fuse, query_embedder, text_caveat, text_search, vector_search


@cli
def main(argv: list[str] | None = None) -> int:
    parser = base_parser(__doc__)
    parser.add_argument("query", help='what to look for, e.g. "saw for cutting ceramic tile"')
    parser.add_argument("--mode", choices=["vector", "text", "hybrid"], default="hybrid", help="default: hybrid")
    parser.add_argument("--limit", type=int, default=5, help="results to show (default 5)")
    args = parser.parse_args(argv)
    with connected(args) as (config, client):
        db = client[config.database]
        hits = []
        if args.mode in ("vector", "hybrid"):
            vector_hits, how = vector_search(
                db,
                server_info(client),
                query_embedder(db, config.values),
                args.query,
                args.limit if args.mode == "vector" else 4 * args.limit,
            )
            say(f"vector search: {how}")
            hits.append(vector_hits)
        if args.mode in ("text", "hybrid"):
            caveat = text_caveat(server_info(client))
            if caveat:
                warn(caveat)
            hits.append(text_search(db, args.query, args.limit if args.mode == "text" else 4 * args.limit))
        ranked = hits[0][: args.limit] if len(hits) == 1 else fuse(hits, args.limit)
        if args.mode == "hybrid":
            say("hybrid: vector and text ranks fused (reciprocal rank fusion, k = 60)")
        rows = [
            (
                rank,
                round(h["score"], 4),
                h.get("product_name", ""),
                h.get("sku", ""),
                h.get("base_price", 0.0),
                h["category"],
            )
            for rank, h in enumerate(describe_hits(db, ranked), start=1)
        ]
        print(table(["#", "score", "product", "SKU", "price", "category"], rows))
        if not rows:
            say("no products matched")
        return 0


if __name__ == "__main__":
    sys.exit(main())
