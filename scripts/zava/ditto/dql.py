"""The Ditto side of the sample queries: what each app role subscribes to, and the updates apps issue."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Statement:
    dql: str
    purpose: str
    then: tuple[str, ...] = ()  # further statements: each is its own execute call (one statement per call)

    @property
    def statements(self) -> tuple[str, ...]:
        return (self.dql, *self.then)


SUBSCRIPTIONS: dict[str, tuple[Statement, ...]] = {
    "store manager (one store)": (
        Statement("SELECT * FROM stores WHERE _id = :store_id", "their store"),
        Statement("SELECT * FROM inventory WHERE store_id = :store_id AND deleted = false", "the store's shelves"),
        Statement("SELECT * FROM orders WHERE store_id = :store_id AND order_date >= :since", "recent orders"),
        Statement(
            "SELECT * FROM order_items WHERE store_id = :store_id AND order_date >= :since",
            "their items (order items carry store_id and order_date for this)",
        ),
        Statement("SELECT * FROM products WHERE deleted = false", "the catalog"),
        Statement("SELECT * FROM categories", "category names and seasonality"),
        Statement("SELECT * FROM product_types", "type names"),
    ),
    "field sales (a store's pro accounts)": (
        Statement(
            "SELECT * FROM customers WHERE primary_store_id = :store_id AND segment = 'pro' AND deleted = false",
            "their accounts: the store's contractors and property managers",
        ),
        Statement("SELECT * FROM orders WHERE store_id = :store_id AND order_date >= :since", "recent orders"),
        Statement("SELECT * FROM products WHERE deleted = false", "the catalog, to quote prices"),
        Statement("SELECT * FROM categories", "category names"),
    ),
    "warehouse (online store fulfilment)": (
        Statement("SELECT * FROM inventory WHERE store_id = 'store_online'", "warehouse stock and bin locations"),
        Statement(
            "SELECT * FROM orders WHERE store_id = 'store_online' AND status IN ['pending', 'shipped']",
            "orders to pick and ship",
        ),
        Statement("SELECT * FROM order_items WHERE store_id = 'store_online' AND order_date >= :since", "their lines"),
        Statement("SELECT * FROM products WHERE deleted = false", "names and SKUs for picking"),
    ),
}

UPDATES: dict[str, Statement] = {
    "stock_decrement": Statement(
        "UPDATE inventory SET stock_level = :new_level, last_updated = :now WHERE _id = :inventory_id",
        "a sale at the till: the app reads stock_level, writes the lower value (a register: last write wins); "
        ":inventory_id is {store_id, product_id}",
    ),
    "location_move": Statement(
        "UPDATE inventory SET location.aisle = :aisle, location.shelf = :shelf, location.bin = :bin, "
        "last_updated = :now WHERE _id = :inventory_id",
        "a product moves: location is a MAP, so two devices moving different fields both win",
    ),
    "order_status": Statement(
        "UPDATE orders SET status = :status, updated_at = :now WHERE _id = :order_id",
        "pending -> shipped -> completed",
    ),
    "soft_delete": Statement(
        "UPDATE products SET deleted = true, deleted_at = :now, updated_at = :now WHERE _id = :product_id",
        "retire a product: documents are never removed, so every device learns of the deletion",
    ),
    "new_order": Statement(
        "INSERT INTO orders DOCUMENTS (:order)",
        "an order taken offline: one INSERT per document, each its own `execute` call, order items with UUID ids",
        then=("INSERT INTO order_items DOCUMENTS (:item)",),
    ),
}
