"""Print the Ditto MongoDB Connector configuration (collections and ID mapping) as a table, JSON or YAML.

Derived from the one collection definition (COLLECTIONS in zava/model/collections.py); no server needed.
"""

from __future__ import annotations

import sys

from common import load_config
from zava.cli import base_parser, cli
from zava.console import table
from zava.ditto.connector import check_k8s_name, config_json, config_yaml, mapping_rows


@cli
def main(argv: list[str] | None = None) -> int:
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument("--format", choices=("table", "json", "yaml"), default="table", help="output format")
    parser.add_argument("--name", default="zava-mongo-connector", help="YAML: resource and Secret name")
    parser.add_argument("--app", default="zava", help="YAML: the BigPeerApp name (label ditto.live/app)")
    parser.add_argument("--big-peer", default="bigpeer", help="YAML: the BigPeer name (label ditto.live/big-peer)")
    parser.add_argument("--namespace", default="ditto", help="YAML: the Kubernetes namespace")
    args = parser.parse_args(argv)
    database = load_config(args).database
    if args.format == "json":
        print(config_json(database))
    elif args.format == "yaml":
        flags = {"--name": args.name, "--app": args.app, "--big-peer": args.big_peer, "--namespace": args.namespace}
        print(config_yaml(database, *(check_k8s_name(value, flag) for flag, value in flags.items())))
    else:
        print(f"database {database}\n")
        print(table(["collection", "synced", "Ditto document ID"], mapping_rows()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
