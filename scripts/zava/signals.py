"""The one way the kit handles stop signals: a handler for the length of a block, the previous ones restored."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

# Signals that ask a script to stop as Ctrl-C (SIGINT) does: from `kill`, or a closed terminal.
TERMINAL_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


@contextmanager
def on_signals(signals: Iterable[int], handler: Callable[[int], None]) -> Iterator[None]:
    """Call handler(signum) on each of these signals inside the block. Python takes signals on the main thread
    only, so elsewhere (a script's main() called from a thread) nothing is installed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, lambda signum, _frame: handler(signum)) for s in signals}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
