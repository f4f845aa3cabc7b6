"""Search the catalog by meaning (vector), by words (text) or both (hybrid, reciprocal rank fusion)."""

from __future__ import annotations

import sys

from common import connected
from zava.cli import base_parser, cli
from zava.console import say, table
from zava.mongo.server import server_info
from zava.reads.search import SEARCH_MODES, product_search


@cli
def main(argv: list[str] | None = None) -> int:
    parser = base_parser(__doc__)
    parser.add_argument("query", help='what to look for, e.g. "saw for cutting ceramic tile"')
    parser.add_argument("--mode", choices=SEARCH_MODES, default="hybrid", help="default: hybrid")
    parser.add_argument("--limit", type=int, default=5, help="results to show (default 5)")
    args = parser.parse_args(argv)
    with connected(args) as (config, client):
        db = client[config.database]
        found, notes = product_search(db, server_info(client), config.values, args.query, args.mode, args.limit)
        for note in notes:
            say(note)
        rows = [
            (
                rank,
                round(h["score"], 4),
                h.get("product_name", ""),
                h.get("sku", ""),
                h.get("base_price", 0.0),
                h["category"],
            )
            for rank, h in enumerate(found, start=1)
        ]
        print(table(["#", "score", "product", "SKU", "price", "category"], rows))
        if not rows:
            say("no products matched")
        return 0


if __name__ == "__main__":
    sys.exit(main())
