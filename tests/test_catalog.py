"""The committed catalog keeps every rule, and the loader names the entry that breaks one."""

from __future__ import annotations

import copy
import itertools
import json
import re
from collections import Counter, defaultdict

import pytest

from zava.catalog.loader import CATALOG_PATH, MONTHS, CatalogError, load_catalog, parse_catalog

RAW = json.loads(CATALOG_PATH.read_text(encoding="utf-8"))
CATALOG = load_catalog()

SPEC_CATEGORIES = {
    "Hand Tools",
    "Power Tools",
    "Paint & Finishes",
    "Hardware",
    "Lumber & Building Materials",
    "Electrical",
    "Plumbing",
    "Garden & Outdoor",
    "Storage & Organization",
}

# What a shopper would expect to pay for anything of each type, in dollars.
PRICE_BANDS = {
    "type_hammers": (9, 55),
    "type_screwdrivers": (5, 55),
    "type_wrenches_sockets": (10, 130),
    "type_pliers": (10, 40),
    "type_measuring_layout": (7, 130),
    "type_drills": (35, 279),
    "type_saws": (49, 649),
    "type_sanders_grinders": (29, 279),
    "type_nailers": (44, 299),
    "type_batteries_chargers": (24, 219),
    "type_interior_paint": (19, 179),
    "type_exterior_paint": (19, 259),
    "type_stains_sealers": (12, 50),
    "type_brushes_rollers": (6, 38),
    "type_primers": (8, 95),
    "type_fasteners": (5, 45),
    "type_hinges": (5, 32),
    "type_locks": (11, 199),
    "type_hooks_hangers": (4, 28),
    "type_cabinet_hardware": (6, 32),
    "type_dimensional_lumber": (3, 45),
    "type_plywood_sheet": (12, 75),
    "type_drywall": (3, 40),
    "type_concrete_masonry": (2, 25),
    "type_wire_cable": (29, 169),
    "type_switches_outlets": (6, 59),
    "type_lighting": (14, 219),
    "type_extension_cords": (7, 129),
    "type_faucets": (35, 299),
    "type_pipes_fittings": (4, 69),
    "type_toilets": (18, 429),
    "type_valves": (7, 99),
    "type_mowers_trimmers": (55, 699),
    "type_garden_tools": (12, 59),
    "type_hoses_watering": (9, 119),
    "type_soil_fertilizer": (3, 39),
    "type_shelving": (34, 279),
    "type_tool_storage": (17, 449),
    "type_bins_totes": (7, 49),
    "type_garage_organization": (8, 149),
}


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9']+", text.lower()))


def test_counts():
    assert {c.category_name for c in CATALOG.categories} == SPEC_CATEGORIES
    assert 30 <= len(CATALOG.product_types) <= 45
    types_per_category = Counter(t.category_id for t in CATALOG.product_types)
    assert set(types_per_category) == {c.category_id for c in CATALOG.categories}
    assert min(types_per_category.values()) >= 3
    products_per_type = Counter(p.type_id for p in CATALOG.products)
    assert set(products_per_type) == {t.type_id for t in CATALOG.product_types}
    assert min(products_per_type.values()) >= 5
    assert len(CATALOG.products) == 424


def test_file_has_exactly_the_documented_shape():
    assert set(RAW) == {"categories", "product_types", "products"}
    assert all(set(c) == {"category_id", "category_name", "seasonal_multipliers"} for c in RAW["categories"])
    assert all(set(t) == {"type_id", "type_name", "category_id", "jobs"} for t in RAW["product_types"])
    fields = {"sku", "product_name", "type_id", "base_price", "description", "specifications"}
    assert all(set(p) in (fields, fields | {"jobs"}) for p in RAW["products"])


def test_every_type_names_the_jobs_shoppers_ask_about_and_products_add_only_new_ones():
    for kind in CATALOG.product_types:
        assert len(kind.jobs) >= 10, kind.type_id
    with_jobs = [p for p in CATALOG.products if p.jobs]
    assert len(with_jobs) >= 100
    for product in with_jobs:
        assert not set(product.jobs) & set(CATALOG.type_by_id[product.type_id].jobs), product.sku
    tile_saw = next(p for p in CATALOG.products if p.sku == "PWR-SAW-014")
    assert any("tile" in job for job in tile_saw.jobs)


def test_skus_ids_and_names_are_unique_and_well_formed():
    skus = [p.sku for p in CATALOG.products]
    assert len(set(skus)) == len(skus)
    assert len({p.product_name for p in CATALOG.products}) == len(skus)
    assert all(re.fullmatch(r"[A-Z]+-[A-Z]+-\d{3}", s) for s in skus)
    ids = [p.product_id for p in CATALOG.products]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"prod_[a-z]+_[a-z]+_\d{3}", i) for i in ids)
    # one category code per category, one type code per type
    category_codes = defaultdict(set)
    type_codes = defaultdict(set)
    for p in CATALOG.products:
        category_codes[p.category_id].add(p.sku.split("-")[0])
        type_codes[p.type_id].add(p.sku.split("-")[1])
    assert all(len(codes) == 1 for codes in category_codes.values())
    assert len({next(iter(c)) for c in category_codes.values()}) == len(category_codes)
    assert all(len(codes) == 1 for codes in type_codes.values())


def test_every_category_has_twelve_positive_months():
    for category in RAW["categories"]:
        assert list(category["seasonal_multipliers"]) == list(MONTHS), category["category_id"]
        assert all(0 < v <= 3 for v in category["seasonal_multipliers"].values())


def test_seasonality_facts_of_the_spec():
    season = {c.category_name: c.seasonal_multipliers for c in CATALOG.categories}
    power = [0.8, 0.9, 1.2, 1.5, 1.8, 2.0, 2.1, 1.7, 1.3, 1.1, 0.9, 1.0]
    assert [season["Power Tools"][m] for m in MONTHS] == power
    paint = season["Paint & Finishes"]
    assert max(paint, key=paint.get) == "apr" and paint["apr"] == 2.2
    lumber = season["Lumber & Building Materials"]
    assert {m for m, v in lumber.items() if v == max(lumber.values())} <= {"jun", "jul"}
    assert 2.1 <= lumber["jun"] <= 2.2 and 2.1 <= lumber["jul"] <= 2.2
    garden = season["Garden & Outdoor"]
    assert min(garden.values()) == 0.5 and all(garden[m] <= 0.6 for m in ("dec", "jan"))


def test_prices_fit_their_type_and_end_like_shelf_prices():
    assert set(PRICE_BANDS) == {t.type_id for t in CATALOG.product_types}
    for p in CATALOG.products:
        low, high = PRICE_BANDS[p.type_id]
        assert low <= p.base_price <= high, f"{p.sku} costs {p.base_price}"
        assert f"{p.base_price:.2f}"[-2:] in {"99", "49", "97", "98", "79", "29"}, p.sku
        assert p.cost == round(p.base_price * 0.67, 2)


def test_descriptions_are_specific_and_distinct():
    for p in CATALOG.products:
        assert 25 <= len(p.description.split()) <= 70, p.sku
    pairs = itertools.combinations([(p.sku, words(p.description)) for p in CATALOG.products], 2)
    for (a, wa), (b, wb) in pairs:
        assert len(wa & wb) / len(wa | wb) < 0.5, f"{a} and {b} share too many words"


def test_specifications_are_flat_maps_with_consistent_keys():
    keys_by_type = defaultdict(set)
    for p in CATALOG.products:
        assert 3 <= len(p.specifications) <= 8, p.sku
        assert all(isinstance(v, (str, int, float, bool)) for v in p.specifications.values()), p.sku
        keys_by_type[p.type_id].add(frozenset(p.specifications))
    assert all(len(keys) == 1 for keys in keys_by_type.values())


def broken(change) -> dict:
    data = copy.deepcopy(RAW)
    change(data)
    return data


def _set(path, value):
    def change(data):
        *parents, last = path
        target = data
        for key in parents:
            target = target[key]
        target[last] = value

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["products"].append(copy.deepcopy(d["products"][0])),
            r"products\[424\].*duplicate SKU 'HND-HAMR-001'",
        ),
        (_set(("products", 3, "type_id"), "type_nope"), r"products\[3\] \(HND-HAMR-004\): unknown type_id 'type_nope'"),
        (lambda d: d["categories"][2]["seasonal_multipliers"].pop("jul"), r"categories\[2\].*missing month 'jul'"),
        (_set(("products", 7, "specifications", "sizes"), [1, 2]), r"products\[7\].*specification 'sizes'.*not list"),
        (_set(("products", 8, "specifications", "dims"), {"w": 1}), r"products\[8\].*specification 'dims'.*not dict"),
        (_set(("products", 9, "sku"), "hnd-hamr-010"), r"products\[9\] \(hnd-hamr-010\): SKU must look like"),
        (_set(("products", 10, "base_price"), -5), r"products\[10\].*base_price must be a positive amount"),
        (_set(("products", 11, "description"), "  "), r"products\[11\]: field 'description' is empty"),
        (lambda d: d["products"][12].pop("product_name"), r"products\[12\]: missing field 'product_name'"),
        (_set(("product_types", 1, "category_id"), "cat_nope"), r"product_types\[1\].*unknown category_id 'cat_nope'"),
        (lambda d: d["product_types"].append(dict(d["product_types"][0])), r"product_types\[40\].*duplicate type_id"),
        (_set(("categories", 0, "seasonal_multipliers", "jan"), "high"), r"categories\[0\].*'jan' must be a positive"),
        (_set(("products", 13, "product_name"), RAW["products"][0]["product_name"]), r"products\[13\].*duplicate"),
        (
            lambda d: d["product_types"][2].pop("jobs"),
            r"product_types\[2\] \(type_wrenches_sockets\): jobs must be a non-empty",
        ),
        (_set(("product_types", 0, "jobs"), []), r"product_types\[0\].*jobs must be a non-empty list"),
        (
            _set(("products", 5, "jobs"), ["fix a door", 7]),
            r"products\[5\] \(HND-HAMR-006\): each job must be a phrase",
        ),
        (_set(("products", 5, "jobs"), ["Fix a door", "fix a door "]), r"products\[5\].*duplicate job 'fix a door'"),
        (_set(("products", 5, "jobs"), ["x" * 81]), r"products\[5\].*each job must be a phrase of 1-80 characters"),
    ],
)
def test_loader_names_the_bad_entry(change, message):
    with pytest.raises(CatalogError, match=message):
        parse_catalog(broken(change))


def test_loader_reports_unreadable_files(tmp_path):
    with pytest.raises(CatalogError, match="catalog file not found"):
        load_catalog(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(CatalogError, match="bad.json: not valid JSON"):
        load_catalog(bad)
