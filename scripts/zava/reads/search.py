"""Product search: vector (Atlas $vectorSearch, or exact cosine with numpy), text ($text) and hybrid (RRF)."""

from __future__ import annotations

from typing import Any

import numpy as np
from pymongo.database import Database
from pymongo.errors import OperationFailure

from zava.catalog.azure_embedder import AzureOpenAIEmbedder
from zava.catalog.embeddings import EmbeddingProvider, kit_embedder
from zava.catalog.local_embedder import VERSION as LOCAL_VERSION
from zava.errors import KitError
from zava.model.indexes import VECTOR_COLLECTION, VECTOR_INDEX_NAME, VECTOR_PATH
from zava.model.rules import LIVE
from zava.mongo.server import ServerInfo
from zava.reads.text_search import Hit, text_note, text_pipeline, text_search

RRF_K = 60  # reciprocal rank fusion constant
SEARCH_LIMIT = 5
SEARCH_MODES = ("vector", "text", "hybrid")
HYBRID_CANDIDATES = 8  # each ranking fused in hybrid mode holds this many times the results asked for
HYBRID_WEIGHTS = (1.0, 0.3)  # vector, text: tuned on the published question set (search_products.py --evaluate)
PRODUCT_FIELDS = {"_id": 0, "product_id": 1, "product_name": 1, "sku": 1, "base_price": 1, "category_id": 1}


def query_embedder(db: Database, settings: dict[str, str]) -> EmbeddingProvider:
    """The provider that made the stored embeddings, so queries land in the same space; KitError if none can."""
    models = sorted(str(m) for m in db[VECTOR_COLLECTION].distinct("embedding_model"))
    reload = "reload them with python scripts/generate_mongodb_data.py"
    if not models:
        raise KitError("product_embeddings is empty: run python scripts/generate_mongodb_data.py first")
    if len(models) > 1:
        raise KitError(f"product_embeddings mixes vectors of {len(models)} models ({', '.join(models)}): {reload}")
    model = models[0]
    provider: EmbeddingProvider
    if model.startswith("azure-openai/"):
        provider = AzureOpenAIEmbedder.from_settings(settings)
        why = "another Azure OpenAI deployment than AZURE_OPENAI_DEPLOYMENT"
    else:
        provider = kit_embedder()
        older = not model.startswith(LOCAL_VERSION + "/")
        why = "a model this kit no longer has" if older else "another catalog or version"
    if model != provider.model:
        raise KitError(
            f"the stored embeddings were made by {model} ({why}); queries here would use {provider.model}: {reload}"
        )
    return provider


def vector_pipeline(vector: list[float], k: int) -> list[dict[str, Any]]:
    """The Atlas Vector Search stage and the projection of its score."""
    return [
        {
            "$vectorSearch": {
                "index": VECTOR_INDEX_NAME,
                "path": VECTOR_PATH,
                "queryVector": vector,
                "numCandidates": max(100, 10 * k),
                "limit": k,
            }
        },
        {"$project": {"_id": 0, "product_id": 1, "score": {"$meta": "vectorSearchScore"}}},
    ]


def has_vector_index(db: Database, info: ServerInfo) -> bool:
    """Whether $vectorSearch can run here: Atlas Search present and our index queryable."""
    if info.is_local:
        return False
    try:
        indexes = list(db[VECTOR_COLLECTION].list_search_indexes(VECTOR_INDEX_NAME))
    except OperationFailure:
        return False
    return any(ix.get("queryable") for ix in indexes)


_STORED: dict[tuple, tuple[list[str], np.ndarray]] = {}  # the one database's vectors this process has read


def stored_vectors(db: Database, model: str) -> tuple[list[str], np.ndarray]:
    """The live stored embeddings (product ids, matrix), read once per process and database while their count and
    model stay the same: only the generator writes them, and the same model and catalog give the same vectors."""
    key = (id(db.client), db.name, model, db[VECTOR_COLLECTION].estimated_document_count())
    if key not in _STORED:
        fields = {"_id": 0, "product_id": 1, VECTOR_PATH: 1}
        rows = list(db[VECTOR_COLLECTION].find(LIVE, fields))
        _STORED.clear()
        _STORED[key] = [r["product_id"] for r in rows], np.array([r[VECTOR_PATH] for r in rows], dtype=np.float64)
    return _STORED[key]


def exact_cosine(ids: list[str], matrix: np.ndarray, vector: np.ndarray, k: int) -> list[Hit]:
    """Top-k of the stored vectors by cosine similarity to `vector` (ties broken by product id)."""
    if not ids:
        return []
    norms = np.linalg.norm(matrix, axis=1) * np.linalg.norm(vector)
    scores = matrix @ vector / np.where(norms == 0, 1.0, norms)
    order = sorted(range(len(ids)), key=lambda i: (-scores[i], ids[i]))[:k]
    return [Hit(ids[i], float(scores[i])) for i in order]


def vector_search(
    db: Database, info: ServerInfo, embedder: EmbeddingProvider, query: str, k: int
) -> tuple[list[Hit], str]:
    """Vector search and a line saying how it ran."""
    vector = embedder.embed([query])[0]
    if has_vector_index(db, info):
        rows = db[VECTOR_COLLECTION].aggregate(vector_pipeline(vector.tolist(), k))
        return [Hit(r["product_id"], float(r["score"])) for r in rows], "Atlas $vectorSearch"
    ids, matrix = stored_vectors(db, embedder.model)
    return exact_cosine(ids, matrix, vector, k), (
        f"exact cosine over {len(ids)} embeddings with numpy (no Atlas Vector Search here)"
    )


def fuse(rankings: list[list[Hit]], k: int, weights: tuple[float, ...] = ()) -> list[Hit]:
    """Weighted reciprocal rank fusion: score = sum of weight / (RRF_K + rank) over the rankings."""
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights or (1.0,) * len(rankings)):
        for rank, hit in enumerate(ranking, start=1):
            scores[hit.product_id] = scores.get(hit.product_id, 0.0) + weight / (RRF_K + rank)
    ordered = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:k]
    return [Hit(product_id, score) for product_id, score in ordered]


def describe_hits(db: Database, hits: list[Hit]) -> list[dict[str, Any]]:
    """Each hit with its product's name, SKU, price and category name, in rank order."""
    products = {
        p["product_id"]: p
        for p in db.products.find({"product_id": {"$in": [h.product_id for h in hits]}}, PRODUCT_FIELDS)
    }
    categories = {c["_id"]: c["category_name"] for c in db.categories.find({}, {"category_name": 1})}
    return [
        {
            **products.get(h.product_id, {"product_id": h.product_id}),
            "score": h.score,
            "category": categories.get(products.get(h.product_id, {}).get("category_id"), ""),
        }
        for h in hits
    ]


def sample_text_caveat(info: ServerInfo) -> str | None:
    """How this server's $text on products differs from MongoDB's, in one line (None on real MongoDB)."""
    if info.is_local:
        return (
            "text search on the local server matches only products containing every word, without stemming; "
            "real MongoDB matches any of the words (and plurals)"
        )
    return None


def sample_search(
    name: str, db: Database, info: ServerInfo, settings: dict[str, str], text: str
) -> tuple[list[dict[str, Any]], str]:
    """One of queries.SEARCH_QUERIES: its top hits (SKU, name, score) and a line on how this server answered."""
    if name == "product_search_text":
        rows = db.products.aggregate(text_pipeline(text, SEARCH_LIMIT))
        hits = [Hit(r["product_id"], float(r["score"])) for r in rows]
        note = sample_text_caveat(info) or "text search: $text ranked by textScore"
    else:
        hits, how = vector_search(db, info, query_embedder(db, settings), text, SEARCH_LIMIT)
        note = f"vector search: {how}"
    rows = [
        {"sku": h["sku"], "product_name": h["product_name"], "score": round(h["score"], 4)}
        for h in describe_hits(db, hits)
    ]
    return rows, note


def product_search(
    db: Database, info: ServerInfo, settings: dict[str, str], text: str, mode: str, limit: int
) -> tuple[list[dict[str, Any]], list[str]]:
    """The top `limit` products for `text` by vector, text or hybrid search, described; and notes on how."""
    depth = limit if mode != "hybrid" else HYBRID_CANDIDATES * limit
    rankings, notes = [], []
    if mode in ("vector", "hybrid"):
        hits, how = vector_search(db, info, query_embedder(db, settings), text, depth)
        rankings.append(hits)
        notes.append(f"vector search: {how}")
    if mode in ("text", "hybrid"):
        rankings.append(text_search(db, info, text, depth))
        notes.append(text_note(info))
    if mode == "hybrid":
        weights = " : ".join(f"{w:g}" for w in HYBRID_WEIGHTS)
        notes.append(f"hybrid: vector and text ranks fused (reciprocal rank fusion, k = {RRF_K}, weights {weights})")
    ranked = rankings[0][:limit] if len(rankings) == 1 else fuse(rankings, limit, HYBRID_WEIGHTS)
    return describe_hits(db, ranked), notes
