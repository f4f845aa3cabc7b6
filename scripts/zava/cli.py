"""The wrapper every script's main() runs in: expected failures become one line and an exit code."""

from __future__ import annotations

import argparse
import functools
import signal
import threading
from collections.abc import Callable

from pymongo.errors import PyMongoError

from zava.console import fail
from zava.errors import EXIT_FAILURE, EXIT_INTERRUPTED, KitError
from zava.mongo.connect import describe_mongo_error


def base_parser(description: str) -> argparse.ArgumentParser:
    """An argument parser with the flags every script shares."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--env-file", help="settings file (default: .env in the project root)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars or chatter")
    return parser


TERMINAL_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


def cli(main: Callable[[list[str] | None], int]) -> Callable[[list[str] | None], int]:
    """Turn expected failures of a script's main() into one line and an exit code.

    SIGTERM and SIGHUP stop a script the way Ctrl-C does (its message says how to resume), with the exit
    code 128 + the signal. Server errors inside `common.connected()` arrive as KitError naming the server;
    any other server error is reported without an address."""

    @functools.wraps(main)
    def wrapper(argv: list[str] | None = None) -> int:
        received: list[int] = []

        def stop(signum: int, _frame: object) -> None:
            received.append(signum)
            raise KeyboardInterrupt

        on_main_thread = threading.current_thread() is threading.main_thread()
        previous = {s: signal.signal(s, stop) for s in TERMINAL_SIGNALS} if on_main_thread else {}
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
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    return wrapper
