"""Disjoint slices of the dataset (--part K/N) and the documents each task writes.

Part 1 holds the catalog and the inventory; customer and order chunks are dealt out in turn, so
the parts together are exactly the whole dataset and no two parts write the same document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from zava.errors import ConfigError
from zava.generation.dataset import CATALOG_COLLECTIONS, Task
from zava.model.ids import CUSTOMER_ID, ORDER_ID

CHUNKED = ("customers", "orders")  # the task kinds dealt out over the parts


@dataclass(frozen=True)
class Part:
    """The number-th of `of` slices (1-based)."""

    number: int
    of: int

    @classmethod
    def parse(cls, text: str) -> Part:
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
        if not match or not 1 <= int(match[1]) <= int(match[2]):
            raise ConfigError(f"--part must be K/N with 1 <= K <= N (e.g. 2/4), got {text!r}")
        return cls(int(match[1]), int(match[2]))

    def select(self, tasks: list[Task]) -> list[Task]:
        """This part's tasks, in their original order."""
        chunked = [t for t in tasks if t.kind in CHUNKED]
        mine = {id(t) for i, t in enumerate(chunked) if i % self.of == self.number - 1}
        return [t for t in tasks if id(t) in mine or (t.kind not in CHUNKED and self.number == 1)]

    def __str__(self) -> str:
        return f"{self.number}/{self.of}"


def written_by(task: Task) -> list[tuple[str, dict[str, Any]]]:
    """(collection, filter) pairs matching exactly the documents a task writes."""
    if task.kind == "catalog":
        return [(name, {}) for name in CATALOG_COLLECTIONS]
    if task.kind == "inventory":
        return [("inventory", {})]
    numbers = range(task.first + 1, task.stop + 1)
    if task.kind == "customers":
        return [("customers", {"_id": {"$in": [CUSTOMER_ID(n) for n in numbers]}})]
    order_ids = [ORDER_ID(n) for n in numbers]
    return [("orders", {"_id": {"$in": order_ids}}), ("order_items", {"order_id": {"$in": order_ids}})]
