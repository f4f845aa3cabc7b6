"""The wrapper every script's main() runs in: expected failures become one line and an exit code."""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable

from pymongo.errors import PyMongoError

from common import EXIT_FAILURE, EXIT_INTERRUPTED, KitError, describe_mongo_error
from zava.console import fail


def base_parser(description: str) -> argparse.ArgumentParser:
    """An argument parser with the flags every script shares."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--env-file", help="settings file (default: .env in the project root)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars or chatter")
    return parser


def cli(main: Callable[[list[str] | None], int]) -> Callable[[list[str] | None], int]:
    """Turn expected failures of a script's main() into one line and an exit code.

    Server errors inside `common.connected()` arrive as KitError naming the server; any other
    server error is reported without an address."""

    @functools.wraps(main)
    def wrapper(argv: list[str] | None = None) -> int:
        try:
            return main(argv)
        except KitError as exc:
            fail(str(exc))
            return exc.exit_code
        except KeyboardInterrupt:
            fail("interrupted")
            return EXIT_INTERRUPTED
        except PyMongoError as exc:
            fail(describe_mongo_error(exc, None))
            return EXIT_FAILURE

    return wrapper
