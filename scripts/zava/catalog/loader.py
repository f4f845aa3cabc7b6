"""The product catalog (catalog.json beside this module): loading and validation."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from zava.errors import KitError
from zava.model.ids import product_id

CATALOG_PATH = Path(__file__).resolve().with_name("catalog.json")
MONTHS: tuple[str, ...] = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
SKU_PATTERN = re.compile(r"[A-Z]{2,5}-[A-Z]{2,6}-\d{3}")
COST_RATIO = 0.67  # cost = base_price x 0.67, a 33% gross margin
MAX_JOB_LENGTH = 80


class CatalogError(KitError):
    """The catalog file breaks a rule; the message names the entry."""


@dataclass(frozen=True)
class Category:
    category_id: str
    category_name: str
    seasonal_multipliers: dict[str, float]


@dataclass(frozen=True)
class ProductType:
    type_id: str
    type_name: str
    category_id: str
    jobs: tuple[str, ...]  # the tasks and everyday words shoppers use for this kind of product


@dataclass(frozen=True)
class Product:
    sku: str
    product_name: str
    type_id: str
    category_id: str
    base_price: float
    description: str
    specifications: dict[str, str | int | float | bool]
    jobs: tuple[str, ...] = ()  # jobs this product does that its type's list does not name

    @property
    def product_id(self) -> str:
        return product_id(self.sku)

    @property
    def cost(self) -> float:
        return round(self.base_price * COST_RATIO, 2)


@dataclass(frozen=True)
class Catalog:
    categories: tuple[Category, ...]
    product_types: tuple[ProductType, ...]
    products: tuple[Product, ...]

    @cached_property
    def category_by_id(self) -> dict[str, Category]:
        return {c.category_id: c for c in self.categories}

    @cached_property
    def type_by_id(self) -> dict[str, ProductType]:
        return {t.type_id: t for t in self.product_types}


def _require(entry: dict[str, Any], where: str, fields: dict[str, type | tuple[type, ...]]) -> None:
    if not isinstance(entry, dict):
        raise CatalogError(f"{where}: expected an object, got {type(entry).__name__}")
    for field, kind in fields.items():
        if field not in entry:
            raise CatalogError(f"{where}: missing field {field!r}")
        value = entry[field]
        if (
            not isinstance(value, kind)
            or isinstance(value, bool)
            and bool not in (kind if isinstance(kind, tuple) else (kind,))
        ):
            raise CatalogError(f"{where}: field {field!r} has the wrong type ({type(value).__name__})")
        if isinstance(value, str) and not value.strip():
            raise CatalogError(f"{where}: field {field!r} is empty")


def _unique(seen: set[str], value: str, where: str, what: str) -> None:
    if value in seen:
        raise CatalogError(f"{where}: duplicate {what} {value!r}")
    seen.add(value)


def _category(raw: dict[str, Any], where: str) -> Category:
    _require(raw, where, {"category_id": str, "category_name": str, "seasonal_multipliers": dict})
    months = raw["seasonal_multipliers"]
    for month in MONTHS:
        if month not in months:
            raise CatalogError(f"{where} ({raw['category_id']}): seasonal_multipliers is missing month {month!r}")
        value = months[month]
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
            raise CatalogError(
                f"{where} ({raw['category_id']}): seasonal multiplier {month!r} must be a positive number"
            )
    extra = set(months) - set(MONTHS)
    if extra:
        raise CatalogError(f"{where} ({raw['category_id']}): unknown month keys {sorted(extra)}")
    return Category(raw["category_id"], raw["category_name"], {m: float(months[m]) for m in MONTHS})


def _jobs(raw: dict[str, Any], where: str, required: bool) -> tuple[str, ...]:
    """The "jobs" list of a type or product: short, distinct, non-empty phrases."""
    if "jobs" not in raw and not required:
        return ()
    jobs = raw.get("jobs")
    if not isinstance(jobs, list) or not jobs:
        raise CatalogError(f"{where}: jobs must be a non-empty list of phrases")
    seen: set[str] = set()
    for phrase in jobs:
        if not isinstance(phrase, str) or not phrase.strip() or len(phrase) > MAX_JOB_LENGTH:
            raise CatalogError(f"{where}: each job must be a phrase of 1-{MAX_JOB_LENGTH} characters, got {phrase!r}")
        _unique(seen, phrase.strip().lower(), where, "job")
    return tuple(jobs)


def _product(raw: dict[str, Any], where: str, types: dict[str, ProductType]) -> Product:
    _require(
        raw,
        where,
        {
            "sku": str,
            "product_name": str,
            "type_id": str,
            "base_price": (int, float),
            "description": str,
            "specifications": dict,
        },
    )
    sku = raw["sku"]
    where = f"{where} ({sku})"
    if not SKU_PATTERN.fullmatch(sku):
        raise CatalogError(f"{where}: SKU must look like CAT-TYPE-001 (upper case)")
    if raw["type_id"] not in types:
        raise CatalogError(f"{where}: unknown type_id {raw['type_id']!r}")
    if raw["base_price"] <= 0 or round(raw["base_price"], 2) != raw["base_price"]:
        raise CatalogError(f"{where}: base_price must be a positive amount in cents, got {raw['base_price']!r}")
    for key, value in raw["specifications"].items():
        if not isinstance(value, (str, int, float, bool)):
            raise CatalogError(
                f"{where}: specification {key!r} must be a string, number or boolean, not {type(value).__name__}"
            )
    return Product(
        sku=sku,
        product_name=raw["product_name"],
        type_id=raw["type_id"],
        category_id=types[raw["type_id"]].category_id,
        base_price=float(raw["base_price"]),
        description=raw["description"],
        specifications=dict(raw["specifications"]),
        jobs=_jobs(raw, where, required=False),
    )


def parse_catalog(data: Any) -> Catalog:
    """Build a Catalog from decoded JSON, raising CatalogError on the first bad entry."""
    _require(data, "catalog", {"categories": list, "product_types": list, "products": list})
    categories, seen = [], set()
    for i, raw in enumerate(data["categories"]):
        category = _category(raw, f"categories[{i}]")
        _unique(seen, category.category_id, f"categories[{i}]", "category_id")
        categories.append(category)
    types: dict[str, ProductType] = {}
    for i, raw in enumerate(data["product_types"]):
        where = f"product_types[{i}]"
        _require(raw, where, {"type_id": str, "type_name": str, "category_id": str})
        _unique(set(types), raw["type_id"], where, "type_id")
        if raw["category_id"] not in seen:
            raise CatalogError(f"{where} ({raw['type_id']}): unknown category_id {raw['category_id']!r}")
        jobs = _jobs(raw, f"{where} ({raw['type_id']})", required=True)
        types[raw["type_id"]] = ProductType(raw["type_id"], raw["type_name"], raw["category_id"], jobs)
    products, skus, names = [], set(), set()
    for i, raw in enumerate(data["products"]):
        product = _product(raw, f"products[{i}]", types)
        _unique(skus, product.sku, f"products[{i}]", "SKU")
        _unique(names, product.product_name, f"products[{i}] ({product.sku})", "product_name")
        products.append(product)
    if not products:
        raise CatalogError("catalog: no products")
    return Catalog(tuple(categories), tuple(types.values()), tuple(products))


def load_catalog(path: Path = CATALOG_PATH) -> Catalog:
    """Read and validate the catalog file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogError(f"catalog file not found: {path}") from None
    except json.JSONDecodeError as exc:
        raise CatalogError(f"{path.name}: not valid JSON ({exc})") from None
    try:
        return parse_catalog(data)
    except CatalogError as exc:
        raise CatalogError(f"{path.name}: {exc}") from None
