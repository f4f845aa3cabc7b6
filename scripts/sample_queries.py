"""Run the sample queries demo apps use (or --only one), with timings; --markdown prints SAMPLE_QUERIES.md."""

from __future__ import annotations

import json
import sys
import time

from common import connected
from zava.cli import base_parser, cli
from zava.console import ok, say, table
from zava.docs.sample_queries import markdown
from zava.mongo.server import server_info
from zava.reads.queries import QUERY_NAMES, chosen_queries, example_params, query_named, run_query, summary
from zava.reads.search import sample_search


@cli
def main(argv: list[str] | None = None) -> int:
    parser = base_parser(__doc__)
    parser.add_argument("--only", metavar="NAME", help=f"run one query: {', '.join(QUERY_NAMES)}")
    parser.add_argument("--markdown", action="store_true", help="print SAMPLE_QUERIES.md and exit (no server)")
    parser.add_argument("--json", action="store_true", help="print each answer in full as JSON")
    args = parser.parse_args(argv)
    if args.markdown:
        sys.stdout.write(markdown())
        return 0
    names = chosen_queries(args.only)
    with connected(args) as (config, client):
        db = client[config.database]
        params = example_params(db)
        rows = []
        for name in names:
            began = time.perf_counter()
            query = query_named(name)
            if query:
                answer = run_query(db, query, params)
            else:
                answer, note = sample_search(name, db, server_info(client), config.values, params.search)
                say(f"  {note}")
            elapsed = (time.perf_counter() - began) * 1000
            rows.append((name, round(elapsed, 1)))
            print(f"{name} ({elapsed:.0f} ms)")
            print(json.dumps(answer, indent=2, default=str) if args.json else f"  {summary(answer)}")
        print(table(["query", "ms"], rows))
        ok(f"{len(rows)} queries on {config.database!r} in {sum(r[1] for r in rows) / 1000:.1f} s")
        return 0


if __name__ == "__main__":
    sys.exit(main())
