"""The wrapper every script's main() runs in: expected failures become one line and an exit code."""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable

from pymongo.errors import PyMongoError

from zava.console import fail
from zava.errors import EXIT_FAILURE, EXIT_INTERRUPTED, KitError
from zava.mongo.connect import describe_mongo_error
from zava.signals import TERMINAL_SIGNALS, on_signals


def base_parser(description: str) -> argparse.ArgumentParser:
    """An argument parser with the flags every script shares."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--env-file", help="settings file (default: .env in the project root)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars or chatter")
    return parser


def cli(main: Callable[[list[str] | None], int]) -> Callable[[list[str] | None], int]:
    """Turn expected failures of a script's main() into one line and an exit code.

    SIGTERM and SIGHUP stop a script the way Ctrl-C does (its message says how to resume), with the exit
    code 128 + the signal. Server errors inside `connected()` (zava.mongo.connect) arrive as KitError naming the server;
    any other server error is reported without an address."""

    @functools.wraps(main)
    def wrapper(argv: list[str] | None = None) -> int:
        received: list[int] = []

        def stop(signum: int) -> None:
            received.append(signum)
            raise KeyboardInterrupt

        with on_signals(TERMINAL_SIGNALS, stop):
            try:
                return main(argv)
            except KitError as exc:
                fail(str(exc))
                return 128 + received[-1] if received and exc.exit_code == EXIT_INTERRUPTED else exc.exit_code
            except KeyboardInterrupt:
                fail("interrupted")
                return 128 + received[-1] if received else EXIT_INTERRUPTED
            except PyMongoError as exc:
                fail(describe_mongo_error(exc, None))
                return EXIT_FAILURE

    return wrapper
