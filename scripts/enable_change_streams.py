"""Enable change-stream pre- and post-images on every synced collection (the Ditto connector needs them)."""

from __future__ import annotations

import sys

from common import KitError, connected
from zava.cli import base_parser, cli
from zava.console import ok, table, warn
from zava.mongo.change_streams import LOCAL_NO_PRE_IMAGES, enable_all, topology_warning
from zava.mongo.server import server_info


@cli
def main(argv: list[str] | None = None) -> int:
    args = base_parser(__doc__).parse_args(argv)
    with connected(args) as (config, client):
        info = server_info(client)
        db = client[config.database]
        problem = topology_warning(client, info)
        if problem:
            warn(problem)
        rows, failures = enable_all(db)
        print(table(["collection", "pre/post images", "detail"], rows))
        if failures:
            raise KitError(f"{len(failures)} collection(s) not enabled: {failures[0]}")
        if info.is_local:
            warn(LOCAL_NO_PRE_IMAGES)
        ok(f"changeStreamPreAndPostImages requested on {len(rows)} synced collections of {config.database!r}")
        return 0


if __name__ == "__main__":
    sys.exit(main())
