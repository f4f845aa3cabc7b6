"""Touch every document of the synced collections so a running Ditto connector picks them all up.

Needed only when the connector was started without its own initial sync over data that was
already in MongoDB: it streams changes, and untouched documents would never reach Ditto.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime

from common import Interrupted, connected
from zava.cli import base_parser, cli
from zava.console import confirm, ok, say, table
from zava.model.timestamps import iso
from zava.mongo.admin import existing_counts
from zava.mongo.initial_sync import MARKER_FIELD, SyncState, chosen_collections, touch_collection


@cli
def main(argv: list[str] | None = None) -> int:
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument("--collections", help="comma-separated synced collections (default: all eight)")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted run where it stopped")
    parser.add_argument("--yes", action="store_true", help="touch the documents without asking")
    args = parser.parse_args(argv)
    names = chosen_collections(args.collections)
    with connected(args) as (config, client):
        db = client[config.database]
        state = SyncState.load(config.database) if args.resume else None
        if args.resume and state is None:
            say("nothing to resume: starting a new run")
        counts = existing_counts(db)
        if state is None:
            state = SyncState(marker=iso(datetime.now(UTC)))
            confirm(
                f"{sum(counts.get(n, 0) for n in names):,} documents in {', '.join(names)} will get "
                f"{MARKER_FIELD} = {state.marker}.",
                "TRIGGER SYNC",
                args.yes,
            )
        rows = []
        try:
            for name in names:
                if name in state.done:
                    rows.append((name, counts.get(name, 0), state.touched.get(name, 0), 0.0, "done earlier"))
                    continue
                began = time.perf_counter()
                touch_collection(db, name, state, config.database, args.quiet, counts.get(name, 0))
                seconds = time.perf_counter() - began
                touched = state.touched.get(name, 0)
                rows.append(
                    (name, counts.get(name, 0), touched, seconds, f"{touched / seconds:,.0f} docs/s" if seconds else "")
                )
        except KeyboardInterrupt:
            raise Interrupted(
                f"interrupted after {sum(state.touched.values()):,} documents; "
                "run python scripts/trigger_initial_sync.py --resume to continue"
            ) from None
        SyncState.path(config.database).unlink(missing_ok=True)
        print(table(["collection", "documents", "touched", "seconds", "rate"], rows))
        ok(
            f"{sum(state.touched.values()):,} documents touched with {MARKER_FIELD} = {state.marker}; "
            "the connector now streams them to Ditto"
        )
        return 0


if __name__ == "__main__":
    sys.exit(main())
