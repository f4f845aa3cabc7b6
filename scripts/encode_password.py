"""Percent-encode a password for a MongoDB connection string (argument, or a hidden prompt)."""

from __future__ import annotations

import getpass
import sys

from common import KitError
from zava.cli import base_parser, cli
from zava.console import say
from zava.mongo.credentials import encode_password


@cli
def main(argv: list[str] | None = None) -> int:
    parser = base_parser(__doc__)
    parser.add_argument("password", nargs="?", help="the password (omit it to type it at a hidden prompt)")
    parser.add_argument("--user", help="also print the user:password@ part of the connection string")
    args = parser.parse_args(argv)
    password = args.password
    if password is None:
        if not sys.stdin.isatty():
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Password (hidden): ")
    if not password:
        raise KitError("no password given")
    encoded = encode_password(password)
    print(f"{encode_password(args.user)}:{encoded}@" if args.user else encoded)
    if encoded != password and not args.quiet:
        say("Special characters were percent-encoded; paste the line above into MONGODB_CONNECTION_STRING.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
