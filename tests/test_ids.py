"""Id formats: what the builders make is what the validators accept, and nothing else."""

from __future__ import annotations

import numpy as np
import pytest

from common import rng_for
from zava.catalog.loader import load_catalog
from zava.model.ids import (
    CUSTOMER_ID,
    ID_FORMATS,
    ORDER_ID,
    live_item_id,
    live_order_id,
    product_id,
    uuid4_strings,
    valid_id,
)
from zava.model.reference import STORES


def test_numbered_ids_round_trip():
    assert CUSTOMER_ID(1) == "cust_000001" and ORDER_ID(12345) == "order_00012345"
    assert valid_id("customers", CUSTOMER_ID(25_000)) and valid_id("orders", ORDER_ID(99_999_999))
    assert CUSTOMER_ID.matches("cust_000042") and not CUSTOMER_ID.matches("cust_42")
    assert not ORDER_ID.matches(live_order_id()), "a live order id must never look like a generated one"


@pytest.mark.parametrize(
    ("collection", "bad"),
    [
        ("customers", "cust_1"),
        ("orders", "order_123"),
        ("orders", "order_" + "g" * 32),
        ("order_items", "not-a-uuid"),
        ("products", "PWR-DRILL-001"),
        ("stores", "store_Seattle"),
    ],
)
def test_malformed_ids_are_rejected(collection, bad):
    assert not valid_id(collection, bad)


def test_live_ids_are_valid_and_distinct():
    orders = {live_order_id() for _ in range(200)}
    items = {live_item_id() for _ in range(200)}
    assert len(orders) == len(items) == 200
    assert all(valid_id("orders", o) for o in orders) and all(valid_id("order_items", i) for i in items)


def test_drawn_uuids_are_version_4_and_reproducible():
    first, again = uuid4_strings(rng_for(7, 1), 500), uuid4_strings(rng_for(7, 1), 500)
    assert first == again and len(set(first)) == 500
    assert all(valid_id("order_items", u) for u in first)
    assert uuid4_strings(rng_for(8, 1), 1) != first[:1]


def test_catalog_and_reference_ids_follow_the_formats():
    catalog = load_catalog()
    assert all(valid_id("products", p.product_id) for p in catalog.products)
    assert product_id("PWR-DRILL-001") == "prod_pwr_drill_001"
    assert all(valid_id("stores", s.store_id) for s in STORES)
    assert all(valid_id("categories", c.category_id) for c in catalog.categories)
    assert all(valid_id("product_types", t.type_id) for t in catalog.product_types)
    assert set(ID_FORMATS) >= {"stores", "products", "customers", "orders", "order_items"}
    assert np.all([valid_id("customers", CUSTOMER_ID(n)) for n in (1, 999_999)])
