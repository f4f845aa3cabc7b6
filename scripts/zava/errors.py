"""The kit's expected failures: each is reported as one line with its exit code."""

from __future__ import annotations

EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130


class KitError(Exception):
    """An expected failure: reported as one line, exit code 1."""

    exit_code = EXIT_FAILURE


class ConfigError(KitError):
    """A bad setting or flag: reported as one line, exit code 2."""

    exit_code = EXIT_USAGE


class Interrupted(KitError):
    """Ctrl-C; the message says what state the data is in."""

    exit_code = EXIT_INTERRUPTED
