"""The dataset's collections and how the Ditto connector identifies each one's documents."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Collection:
    """One collection of the dataset and how the Ditto connector identifies its documents."""

    name: str
    synced: bool
    id_fields: tuple[str, ...] = ()  # connector ID mapping; ("_id",) means "match _id"


COLLECTIONS: tuple[Collection, ...] = (
    Collection("stores", True, ("store_id",)),
    Collection("categories", True, ("_id",)),
    Collection("product_types", True, ("_id",)),
    Collection("products", True, ("product_id",)),
    Collection("product_embeddings", False),
    Collection("customers", True, ("customer_id",)),
    Collection("inventory", True, ("store_id", "product_id")),
    Collection("orders", True, ("order_id",)),
    Collection("order_items", True, ("_id",)),
)
COLLECTION_NAMES: tuple[str, ...] = tuple(c.name for c in COLLECTIONS)
SYNCED_COLLECTIONS: tuple[str, ...] = tuple(c.name for c in COLLECTIONS if c.synced)


def collection(name: str) -> Collection:
    """The definition of one collection by name."""
    return next(c for c in COLLECTIONS if c.name == name)
