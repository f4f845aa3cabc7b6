"""Check that Ditto holds what MongoDB holds: counts per synced collection and a sample compared field by field.

Reads Ditto over its HTTP API v5 (DITTO_APP_ID, DITTO_API_KEY, DITTO_CLOUD_ENDPOINT: the app's Cloud URL Endpoint)
and MongoDB as every script does.
"""

from __future__ import annotations

import sys

from common import ConfigError, KitError, connect, load_config, server_errors
from zava.cli import base_parser, cli
from zava.console import ok, say, table, warn
from zava.ditto.connector import UNSYNCED
from zava.ditto.http_api import DittoClient
from zava.mongo.server import server_info
from zava.verify.sync_check import COUNT_QUERY, HEADERS, MODES, details, metadata_line, rejected_writes, wait_for_sync


@cli
def main(argv: list[str] | None = None) -> int:
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=20, metavar="N", help="documents compared per collection (20)")
    parser.add_argument("--wait", type=float, default=0, metavar="SECONDS", help="recheck until in sync, up to SECONDS")
    parser.add_argument(
        "--mode", choices=MODES, default="json", help="the connector's mode for the collections (json, as configured)"
    )
    args = parser.parse_args(argv)
    if args.sample < 0:
        raise ConfigError(f"--sample must be at least 0, got {args.sample}")
    if args.wait < 0:
        raise ConfigError(f"--wait must be at least 0, got {args.wait:g}")
    config = load_config(args)
    ditto = DittoClient.from_settings(config.values)
    client = connect(config, args.quiet)
    with server_errors(config.mongo_uri):
        if server_info(client).is_local and not args.quiet:
            say("MongoDB is the local server: the Ditto connector cannot sync from it (no change-stream pre-images).")
        if not args.quiet:
            say(f"Comparing database {config.database!r} with Ditto app {ditto.app_id} at {ditto.host}")
        db = client[config.database]

        def retrying(behind: list[str], delay: float) -> None:
            say(f"not in sync yet: {'; '.join(behind)}; checking again in {delay:.1f} s")

        checks = wait_for_sync(db, ditto, args.sample, args.mode, args.wait, None if args.quiet else retrying)
        behind = [c.summary() for c in checks if not c.in_sync]
        if ditto.count_refused and not args.quiet:
            say(f"Ditto refused SELECT COUNT(*) ({ditto.count_refused}); counted with /store/count ({COUNT_QUERY})")
        print(table(HEADERS, [c.row() for c in checks]))
        if not args.quiet:
            say(metadata_line(checks))
        for line in details(checks):
            warn(line)
        rejected = rejected_writes(db)
        for line in rejected.examples if rejected else []:
            warn(f"rejected by MongoDB: {line}")
        problems = []
        if behind:
            waited = f" after waiting {args.wait:g} s" if args.wait else ""
            problems.append(f"MongoDB and Ditto are not in sync{waited}: {'; '.join(behind)}")
        if rejected and rejected.count:
            problems.append(
                f"MongoDB rejected {rejected.count:,} device writes (the connector keeps them in {UNSYNCED})"
            )
        if problems:
            raise KitError("; ".join(problems))
        documents, sampled = sum(c.mongo_count for c in checks), sum(c.sampled for c in checks)
        parked = "none" if rejected else f"no {UNSYNCED} collection yet"
        ok(
            f"MongoDB and Ditto are in sync: {len(checks)} collections, "
            f"{documents:,} documents, {sampled:,} compared field by field; device writes MongoDB rejected: {parked}"
        )
        return 0


if __name__ == "__main__":
    sys.exit(main())
