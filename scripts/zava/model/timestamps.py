"""The one timestamp format of every document: YYYY-MM-DDTHH:MM:SSZ in UTC (sorts chronologically)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np


def iso(moment: datetime) -> str:
    """The project's timestamp format: YYYY-MM-DDTHH:MM:SSZ in UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_array(seconds: np.ndarray) -> list[str]:
    """Vectorised iso() for Unix seconds."""
    text = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s")
    return [t + "Z" for t in text.tolist()]


def parse_iso(text: str) -> datetime:
    """A timestamp of the project's format back to an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
