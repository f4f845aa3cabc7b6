"""Document ids: each format is built and validated by the same definition."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import numpy as np

UUID4 = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


@dataclass(frozen=True)
class NumberedId:
    """`prefix` + a zero-padded sequence number, e.g. cust_000001."""

    prefix: str
    digits: int

    def __call__(self, number: int) -> str:
        return f"{self.prefix}{number:0{self.digits}d}"

    @property
    def pattern(self) -> str:
        return rf"{self.prefix}\d{{{self.digits}}}"

    def matches(self, value: object) -> bool:
        return isinstance(value, str) and re.fullmatch(self.pattern, value) is not None


CUSTOMER_ID = NumberedId("cust_", 6)
ORDER_ID = NumberedId("order_", 8)  # generated history
LIVE_ORDER_PATTERN = r"order_[0-9a-f]{32}"  # added live: never one of the numbered ids


def live_order_id() -> str:
    """An order id for an order added live: `order_` + the 32 hex digits of an OS uuid4."""
    return f"order_{uuid.uuid4().hex}"


def is_live_order(order_id: object) -> bool:
    """Whether an order id is one the simulator added live (not one of the generated history)."""
    return isinstance(order_id, str) and re.fullmatch(LIVE_ORDER_PATTERN, order_id) is not None


def live_item_id() -> str:
    """An order item id for an item added live: an OS uuid4 string (the generator draws its own)."""
    return str(uuid.uuid4())


def product_id(sku: str) -> str:
    """A product's id from its SKU: PWR-DRILL-001 -> prod_pwr_drill_001."""
    return "prod_" + sku.lower().replace("-", "_")


def uuid4_strings(rng: np.random.Generator, count: int) -> list[str]:
    """`count` version-4 UUID strings drawn from a seeded generator (reproducible, unlike uuid.uuid4)."""
    raw = rng.integers(0, 256, size=(count, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    text = raw.tobytes().hex()
    return [
        f"{t[:8]}-{t[8:12]}-{t[12:16]}-{t[16:20]}-{t[20:]}" for t in (text[i : i + 32] for i in range(0, len(text), 32))
    ]


PRODUCT_PATTERN = r"prod_[a-z]+_[a-z]+_\d{3}"
ID_FORMATS: dict[str, str] = {
    "stores": r"store_[a-z]+",
    "categories": r"cat_[a-z_]+",
    "product_types": r"type_[a-z_]+",
    "products": PRODUCT_PATTERN,
    "product_embeddings": PRODUCT_PATTERN,
    "customers": CUSTOMER_ID.pattern,
    "orders": f"{ORDER_ID.pattern}|{LIVE_ORDER_PATTERN}",
    "order_items": UUID4,
}  # inventory's _id is the document {store_id, product_id}


def valid_id(collection: str, value: object) -> bool:
    """Whether `value` is a well-formed _id of `collection`."""
    return isinstance(value, str) and re.fullmatch(ID_FORMATS[collection], value) is not None
