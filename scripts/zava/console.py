"""What scripts print: status lines on stderr, aligned tables, progress bars, typed confirmations."""

from __future__ import annotations

import os
import re
import resource
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from tqdm import tqdm

from zava.errors import KitError


def _colour(code: str, text: str, stream=sys.stderr) -> str:
    if os.environ.get("NO_COLOR") or not stream.isatty():
        return text
    return f"\033[{code}m{text}\033[0m"


def say(message: str) -> None:
    print(message, file=sys.stderr)


def ok(message: str) -> None:
    say(_colour("32", "✓ ") + message)


def warn(message: str) -> None:
    say(_colour("33", "! ") + message)


def fail(message: str) -> None:
    say(_colour("31", "error: ") + message)


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A plain aligned text table; numbers right-aligned with thousands separators."""

    def cell(value: object) -> str:
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, int):
            return f"{value:,}"
        if isinstance(value, float):
            return f"{value:,.2f}"
        return str(value)

    raw = [list(r) for r in rows]
    text = [[cell(v) for v in r] for r in raw]
    widths = [max([len(h)] + [len(r[i]) for r in text]) for i, h in enumerate(headers)]
    numeric = [
        all(isinstance(r[i], (int, float)) and not isinstance(r[i], bool) for r in raw) for i in range(len(headers))
    ]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if n else c.ljust(w) for c, w, n in zip(cells, widths, numeric)).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in text])


def progress(total: int | None, desc: str, quiet: bool) -> tqdm:
    """A progress bar on stderr, silent with --quiet or when stderr is not a terminal."""
    return tqdm(
        total=total, desc=desc, unit="doc", unit_scale=True, disable=quiet or not sys.stderr.isatty(), leave=False
    )


def confirm(question: str, phrase: str, assume_yes: bool) -> None:
    """Ask for a typed phrase; KitError when refused or when there is no terminal to ask on."""
    if assume_yes:
        return
    if not sys.stdin.isatty():
        raise KitError(f"{question} Refusing without a terminal to confirm on; pass --yes to proceed.")
    say(question)
    try:
        answer = input(f"Type {phrase} to continue: ")
    except EOFError:
        answer = ""
    if answer.strip() != phrase:
        raise KitError("not confirmed; nothing was changed")


def peak_memory_mb() -> float:
    """This process's peak resident memory since it started (exec), in MB."""
    try:
        status = Path("/proc/self/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024
    except (OSError, AttributeError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)
