"""Search the catalog by meaning (vector), by words (text) or both (hybrid, reciprocal rank fusion).

--evaluate runs the published, judged shopper questions through every mode and prints hit@1,
precision@5 and nDCG@5 (see README, "Product search").
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from common import connected
from zava.catalog.loader import load_catalog
from zava.cli import base_parser, cli
from zava.console import say, table
from zava.mongo.server import server_info
from zava.reads.evaluation import DEPTH, QUESTIONS_PATH, evaluate_modes, load_judgments
from zava.reads.search import SEARCH_MODES, product_search


@cli
def main(argv: list[str] | None = None) -> int:
    parser = base_parser(__doc__)
    parser.add_argument("query", nargs="?", help='what to look for, e.g. "saw for cutting ceramic tile"')
    parser.add_argument("--mode", choices=SEARCH_MODES, help="default: hybrid (--evaluate: every mode)")
    parser.add_argument("--limit", type=int, default=5, help="results to show (default 5)")
    parser.add_argument(
        "--evaluate",
        nargs="?",
        const=QUESTIONS_PATH,
        type=Path,
        metavar="FILE",
        help=f"score the modes on judged questions (default {QUESTIONS_PATH.relative_to(QUESTIONS_PATH.parents[2])})",
    )
    parser.add_argument("--json", action="store_true", help="with --evaluate: the figures as JSON")
    args = parser.parse_args(argv)
    if (args.query is None) == (args.evaluate is None):
        parser.error("give a query, or --evaluate")
    if args.limit < 1:
        parser.error(f"--limit must be at least 1, got {args.limit}")
    with connected(args) as (config, client):
        db, info = client[config.database], server_info(client)
        if args.evaluate is not None:
            catalog = load_catalog()
            judgments = load_judgments(catalog, args.evaluate)
            modes = [args.mode] if args.mode else SEARCH_MODES
            reports = evaluate_modes(db, info, config.values, judgments, catalog, modes)
            if args.json:
                print(json.dumps({r.mode: r.figures() for r in reports}, indent=2))
                return 0
            say(f"{len(judgments)} judged questions from {args.evaluate}, top {DEPTH} of each mode:")
            for note in dict.fromkeys(n for r in reports for n in r.notes):
                say(note)
            headers = ["mode", "hit@1", "precision@5", "nDCG@5", "none relevant", "ms median", "ms max"]
            print(table(headers, [r.row() for r in reports]))
            for r in reports:
                for question in r.empty:
                    say(f"{r.mode}: nothing relevant in the top {DEPTH} for {question!r}")
            return 0
        found, notes = product_search(db, info, config.values, args.query, args.mode or "hybrid", args.limit)
        for note in notes:
            say(note)
        rows = [
            (
                rank,
                f"{h['score']:.4f}",
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
