"""Text search over the products' search text ($text on product_embeddings), any word matching, on both servers.

MongoDB's $text matches any of the words (stemmed) and ranks by textScore. The local server's
$text needs every word, as written; there the kit runs one $text per word (as typed and stemmed)
and ranks products by how many of the words they match, how many their names hold, then by the
summed rarity (IDF) of the words matched.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from pymongo.database import Database
from pymongo.errors import OperationFailure

from zava.catalog.local_embedder import STOPWORDS, WORD, stem
from zava.errors import KitError
from zava.model.indexes import INDEXES, VECTOR_COLLECTION
from zava.model.rules import LIVE
from zava.mongo.server import ServerInfo

NAME_CANDIDATES = 30  # products whose names are read to order the best word-by-word matches
TEXT_COLLECTION = VECTOR_COLLECTION  # the search documents: MongoDB only, never synced
TEXT_INDEX = next(spec.name for spec in INDEXES if spec.collection == TEXT_COLLECTION and spec.is_text)


@dataclass(frozen=True)
class Hit:
    product_id: str
    score: float


def text_pipeline(query: str, k: int) -> list[dict[str, Any]]:
    """$text ranked by textScore (as an aggregation: it ranks correctly on both servers)."""
    return [
        {"$match": {"$text": {"$search": query}, **LIVE}},
        {"$project": {"_id": 0, "product_id": 1, "score": {"$meta": "textScore"}}},
        {"$sort": {"score": -1, "product_id": 1}},
        {"$limit": k},
    ]


def _matches(db: Database, query: str, k: int) -> list[Hit]:
    rows = db[TEXT_COLLECTION].aggregate(text_pipeline(query, k))
    return [Hit(r["product_id"], float(r["score"])) for r in rows]


def query_words(query: str) -> list[str]:
    """The words of a query worth searching for: lower case, stopwords dropped, each once."""
    return list(dict.fromkeys(w for w in WORD.findall(query.lower()) if w not in STOPWORDS))


def _matching_ids(db: Database, word: str) -> set[str]:
    """Live products whose search text has this word (a find, not an aggregation: faster on the local server)."""
    rows = db[TEXT_COLLECTION].find({"$text": {"$search": word}, **LIVE}, {"_id": 0, "product_id": 1})
    return {r["product_id"] for r in rows}


def _name_matches(db: Database, products: list[str], forms: list[set[str]]) -> dict[str, int]:
    """How many of the query's words (in any of their forms) each product's name holds."""
    rows = db.products.find({"product_id": {"$in": products}}, {"_id": 0, "product_id": 1, "product_name": 1})
    names = {r["product_id"]: set(WORD.findall(r.get("product_name", "").lower())) for r in rows}
    return {p: sum(bool(f & names.get(p, set())) for f in forms) for p in products}


def word_by_word(db: Database, query: str, k: int) -> list[Hit]:
    """Any-word text search from one $text per word. Products matching more of the words come first; among
    them, those whose names hold more of the words; then the rarer the words matched (summed IDF), the better."""
    total = max(db[TEXT_COLLECTION].estimated_document_count(), 1)
    forms = [{word, stem(word)} for word in query_words(query)]
    count: dict[str, int] = {}
    rarity: dict[str, float] = {}
    for word_forms in forms:
        found = set().union(*(_matching_ids(db, form) for form in sorted(word_forms)))
        for product in found:  # an empty `found` adds nothing
            count[product] = count.get(product, 0) + 1
            rarity[product] = rarity.get(product, 0.0) + math.log(1 + total / len(found))
    candidates = sorted(count, key=lambda p: (-count[p], -rarity[p], p))[: max(NAME_CANDIDATES, 3 * k)]
    in_name = _name_matches(db, candidates, forms)
    score = {p: count[p] + in_name[p] / len(forms) + rarity[p] / (100 * len(forms)) for p in candidates}
    ordered = sorted(candidates, key=lambda p: (-count[p], -in_name[p], -rarity[p], p))[:k]
    return [Hit(p, round(score[p], 4)) for p in ordered]


def text_search(db: Database, info: ServerInfo, query: str, k: int) -> list[Hit]:
    """The top k products whose search text matches any word of the query."""
    if not query_words(query):
        return []
    try:
        return word_by_word(db, query, k) if info.is_local else _matches(db, query, k)
    except OperationFailure as exc:
        if exc.code == 27:  # IndexNotFound
            raise KitError(f"text search needs the {TEXT_INDEX} index: run python scripts/create_indexes.py") from None
        raise


def text_note(info: ServerInfo) -> str:
    """How the text ranking was made on this server, in one line."""
    if info.is_local:
        return (
            "text search: one $text per word (the local server's $text needs every word), "
            "ranked by words matched, then words in the name, then their rarity"
        )
    return "text search: $text (any word, stemmed) ranked by textScore"
