"""Every index of the dataset, each with the query it serves: the one definition scripts and docs use."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pymongo.collection import Collection
from pymongo.database import Database

from zava.catalog.local_embedder import DIMENSIONS as LOCAL_DIMENSIONS
from zava.model.rules import LIVE

Key = tuple[tuple[str, int | str], ...]


@dataclass(frozen=True)
class IndexSpec:
    collection: str
    name: str
    keys: Key
    serves: str
    unique: bool = False
    partial: dict[str, Any] | None = None
    weights: dict[str, int] = field(default_factory=dict)

    @property
    def options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"name": self.name}
        if self.unique:
            options["unique"] = True
        if self.partial:
            options["partialFilterExpression"] = self.partial
        if self.weights:
            options["weights"] = self.weights
        return options

    @property
    def is_text(self) -> bool:
        return any(direction == "text" for _, direction in self.keys)


def _unique_id(collection: str, field_name: str, serves: str) -> IndexSpec:
    return IndexSpec(collection, f"{collection}_{field_name}_unique", ((field_name, 1),), serves, unique=True)


INDEXES: tuple[IndexSpec, ...] = (
    _unique_id("stores", "store_id", "store by id; the connector's document id"),
    _unique_id("categories", "category_id", "category by id"),
    _unique_id("product_types", "type_id", "product type by id"),
    IndexSpec("product_types", "product_types_by_category", (("category_id", 1),), "the types of a category"),
    _unique_id("products", "product_id", "product by id; the connector's document id"),
    _unique_id("products", "sku", "product by SKU (scanner lookups)"),
    IndexSpec("products", "products_by_type", (("type_id", 1),), "the products of a type"),
    IndexSpec(
        "products",
        "products_live_by_category",
        (("category_id", 1), ("product_name", 1)),
        "a category's live products by name",
        partial=LIVE,
    ),
    IndexSpec(
        "products",
        "products_text",
        (("product_name", "text"), ("product_description", "text")),
        "text search over names and descriptions",
        weights={"product_name": 10, "product_description": 1},
    ),
    _unique_id("product_embeddings", "product_id", "a product's embedding"),
    IndexSpec(
        "product_embeddings",
        "product_embeddings_search_text",
        (("search_text", "text"),),
        "search_products.py text and hybrid modes: names, kinds, the jobs shoppers name, descriptions",
    ),
    _unique_id("customers", "customer_id", "customer by id; the connector's document id"),
    _unique_id("customers", "email", "customer by email (sign-in, loyalty lookup)"),
    IndexSpec("customers", "customers_by_primary_store", (("primary_store_id", 1),), "a store's customers"),
    IndexSpec(
        "inventory",
        "inventory_store_product_unique",
        (("store_id", 1), ("product_id", 1)),
        "one product at one store; a store's inventory; the connector's document id",
        unique=True,
    ),
    IndexSpec("inventory", "inventory_by_product", (("product_id", 1),), "which stores carry a product"),
    IndexSpec(
        "inventory",
        "inventory_live_stock_by_store",
        (("store_id", 1), ("stock_level", 1)),
        "low stock and reorder report per store",
        partial=LIVE,
    ),
    IndexSpec(
        "inventory", "inventory_by_store_aisle", (("store_id", 1), ("location.aisle", 1)), "a store's products by aisle"
    ),
    _unique_id("orders", "order_id", "order by id; the connector's document id"),
    IndexSpec("orders", "orders_by_customer_date", (("customer_id", 1), ("order_date", -1)), "a customer's history"),
    IndexSpec(
        "orders",
        "orders_by_store_date",
        (("store_id", 1), ("order_date", -1)),
        "a store's recent orders; revenue by store by month",
    ),
    IndexSpec("orders", "orders_by_date", (("order_date", -1),), "recent orders; revenue by period"),
    IndexSpec(
        "orders",
        "orders_live_by_status_date",
        (("status", 1), ("order_date", -1)),
        "open (pending, shipped) orders",
        partial=LIVE,
    ),
    IndexSpec("order_items", "order_items_by_order", (("order_id", 1),), "the items of an order"),
    IndexSpec(
        "order_items",
        "order_items_by_product_date",
        (("product_id", 1), ("order_date", -1)),
        "top products by revenue in a period",
    ),
    IndexSpec(
        "order_items",
        "order_items_by_store_date",
        (("store_id", 1), ("order_date", -1)),
        "a store's recent items (device subscriptions)",
    ),
)

VECTOR_INDEX_NAME = "product_description_vector"
VECTOR_COLLECTION = "product_embeddings"
VECTOR_PATH = "description_embedding"


def vector_index_definition(dimensions: int) -> dict[str, Any]:
    """The Atlas Vector Search index over product embeddings (cosine similarity)."""
    return {"fields": [{"type": "vector", "path": VECTOR_PATH, "numDimensions": dimensions, "similarity": "cosine"}]}


def embedding_dimensions(db: Database) -> int:
    """Dimensions of the loaded embeddings, or the local embedder's when none are loaded."""
    sample = db[VECTOR_COLLECTION].find_one({}, {"dimensions": 1})
    return int(sample["dimensions"]) if sample and "dimensions" in sample else LOCAL_DIMENSIONS


def key_signature(key: dict[str, Any]) -> tuple[str, ...]:
    """The fields of an index key, as listIndexes reports it (a text index shows up as _fts/_ftsx)."""
    return tuple(key)


def spec_signature(spec: IndexSpec) -> tuple[str, ...]:
    return ("_fts", "_ftsx") if spec.is_text else tuple(f for f, _ in spec.keys)


def existing_signatures(collection: Collection) -> tuple[set[str], set[tuple[str, ...]]]:
    """Names and field signatures of the indexes a collection has."""
    listed = list(collection.list_indexes())
    return {ix["name"] for ix in listed}, {key_signature(ix["key"]) for ix in listed}


def _js_value(value: Any) -> str:
    return json.dumps(value, separators=(", ", ": "))


def mongosh_script() -> str:
    """The same indexes as a mongosh script (scripts/create_indexes.js is this text)."""
    lines = [
        "// Creates every index of the Zava DIY dataset. Generated by: python scripts/create_indexes.py --emit-js",
        '// Run: mongosh "$MONGODB_CONNECTION_STRING" scripts/create_indexes.js  (MONGODB_DATABASE picks the database)',
        'const database = db.getSiblingDB(process.env.MONGODB_DATABASE || "zava");',
        "",
    ]
    for spec in INDEXES:
        keys = "{" + ", ".join(f"{_js_value(f)}: {_js_value(d)}" for f, d in spec.keys) + "}"
        lines.append(f"// {spec.serves}")
        lines.append(
            f"database.getCollection({_js_value(spec.collection)}).createIndex({keys}, {_js_value(spec.options)});"
        )
    lines += [
        "",
        "// Atlas Vector Search over product embeddings (needs Atlas or MongoDB with mongot)",
        f"const sample = database.getCollection({_js_value(VECTOR_COLLECTION)}).findOne({{}}, {{dimensions: 1}});",
        f"const dimensions = sample ? sample.dimensions : {LOCAL_DIMENSIONS};",
        "try {",
        f"  database.getCollection({_js_value(VECTOR_COLLECTION)}).createSearchIndex({_js_value(VECTOR_INDEX_NAME)}, "
        f'"vectorSearch", {{fields: [{{type: "vector", path: {_js_value(VECTOR_PATH)}, numDimensions: dimensions, '
        'similarity: "cosine"}]});',
        "} catch (e) {",
        '  print("vector index skipped: " + e.message);',
        "}",
    ]
    return "\n".join(lines) + "\n"
