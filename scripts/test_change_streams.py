"""Verify change streams without touching synced data: options read back, and a probe's events timed."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from functools import partial

from common import KitError, connected
from zava.cli import base_parser, cli
from zava.console import ok, say, table, warn
from zava.model.collections import SYNCED_COLLECTIONS
from zava.mongo.change_streams import (
    EVENT_TIMEOUT_S,
    LOCAL_NO_PRE_IMAGES,
    images_enabled,
    probe_events,
    topology_warning,
    watch_live,
)
from zava.mongo.server import server_info


def _watching(seconds: float, collections: int) -> None:
    print(f"watching {collections} synced collections for {seconds:g} s (Ctrl-C to stop)", flush=True)


def _show_event(change: dict) -> None:
    key = change.get("documentKey", {}).get("_id")
    stamp = datetime.now(UTC).strftime("%H:%M:%S")
    print(f"{stamp}  {change['operationType']:<8} {change['ns']['coll']:<14} {key}", flush=True)


@cli
def main(argv: list[str] | None = None) -> int:
    parser = base_parser(__doc__)
    parser.add_argument("--watch", type=float, metavar="SECONDS", help="stream live events of the synced collections")
    args = parser.parse_args(argv)
    with connected(args) as (config, client):
        info = server_info(client)
        db = client[config.database]
        problem = topology_warning(client, info)
        if problem:
            raise KitError(problem)
        if args.watch:
            seen = watch_live(db, args.watch, partial(_watching, args.watch), _show_event)
            ok(f"{seen} change events in {args.watch:g} s")
            return 0

        states = {name: images_enabled(db, name) for name in SYNCED_COLLECTIONS}
        label = {True: "enabled", False: "NOT enabled", None: "unknown (not reported by this server)"}
        print(table(["collection", "pre/post images"], [(n, label[s]) for n, s in states.items()]))
        events = probe_events(db)
        print(
            table(
                ["event", "latency ms", "post-image", "pre-image"],
                [(e.operation, round(e.latency_ms, 1), e.post_image, e.pre_image) for e in events],
            )
        )
        missing = [n for n, s in states.items() if s is False]
        if len(events) < 3:
            raise KitError(f"only {len(events)} of 3 change events arrived within {EVENT_TIMEOUT_S:g} s")
        say(f"change events arrive: {len(events)} of 3, slowest after {max(e.latency_ms for e in events):.0f} ms")
        pre_images = all(e.pre_image for e in events if e.operation in ("update", "delete"))
        if info.is_local:
            warn(f"pre-images were not delivered: {LOCAL_NO_PRE_IMAGES}" if not pre_images else LOCAL_NO_PRE_IMAGES)
        elif not pre_images or missing:
            what = f"not enabled on {', '.join(missing)}" if missing else "pre-images were not delivered"
            raise KitError(f"{what}: run python scripts/enable_change_streams.py")
        ok("change streams work" + ("" if info.is_local else " with pre- and post-images"))
        return 0


if __name__ == "__main__":
    sys.exit(main())
