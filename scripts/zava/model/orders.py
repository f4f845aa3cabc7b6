"""The order and order-item documents: their one shape, built here for the generator and the simulator alike."""

from __future__ import annotations


def order_document(
    order_id: str,
    customer: tuple[str, str, str],
    store: tuple[str, str],
    order_date: str,
    item_count: int,
    amounts: tuple[float, float, float, float],
    status: str,
) -> dict:
    """An order: `customer` is (customer_id, name, email), `store` (store_id, store_name), `amounts` (subtotal,
    discount_total, tax, total) in dollars; created and last updated when it was placed."""
    subtotal, discount_total, tax, total = amounts
    return {
        "_id": order_id,
        "order_id": order_id,
        "customer_id": customer[0],
        "store_id": store[0],
        "order_date": order_date,
        "customer_name": customer[1],
        "customer_email": customer[2],
        "store_name": store[1],
        "item_count": item_count,
        "subtotal": subtotal,
        "discount_total": discount_total,
        "tax": tax,
        "total": total,
        "status": status,
        "created_at": order_date,
        "updated_at": order_date,
        "deleted": False,
    }


def item_document(
    item_id: str,
    order_id: str,
    store_id: str,
    order_date: str,
    product: tuple[str, str, str],
    quantity: int,
    unit_price: float,
    discount_percent: int,
    discount_amount: float,
    line_total: float,
) -> dict:
    """An order line: `product` is (product_id, sku, product_name); the store and date of its order repeated."""
    return {
        "_id": item_id,
        "order_id": order_id,
        "store_id": store_id,
        "order_date": order_date,
        "product_id": product[0],
        "sku": product[1],
        "product_name": product[2],
        "quantity": quantity,
        "unit_price": unit_price,
        "discount_percent": discount_percent,
        "discount_amount": discount_amount,
        "line_total": line_total,
        "created_at": order_date,
        "deleted": False,
    }
