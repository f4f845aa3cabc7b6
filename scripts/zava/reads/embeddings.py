"""Text embeddings behind a small provider interface; the default runs locally with numpy."""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Iterable
from typing import Protocol

import numpy as np

from common import ConfigError
from zava.model.catalog import Catalog, Product
from zava.reads.embeddings_azure import AzureOpenAIEmbedder

WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "that",
        "the",
        "this",
        "to",
        "with",
        "without",
        "your",
        "you",
    ]
)
HASHES = 2  # buckets per feature
PAIR_WEIGHT = 0.5  # word pairs count half as much as single words


class EmbeddingProvider(Protocol):
    """Turns texts into L2-normalised vectors of a fixed size."""

    model: str
    dimensions: int

    def embed(self, texts: list[str]) -> np.ndarray: ...


def stem(word: str) -> str:
    """Light English stemming: plurals to singular ("drills" -> "drill", "batteries" -> "battery")."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def features(text: str) -> list[tuple[str, float]]:
    """Stemmed words (stopwords dropped) and adjacent word pairs, with their base weights."""
    words = [stem(w) for w in WORD.findall(text.lower()) if w not in STOPWORDS]
    return [(w, 1.0) for w in words] + [(f"{a} {b}", PAIR_WEIGHT) for a, b in zip(words, words[1:])]


def _buckets(feature: str, dimensions: int) -> list[tuple[int, float]]:
    """HASHES signed buckets per feature: spreading each feature thins out the damage of collisions."""
    digest = hashlib.blake2b(feature.encode(), digest_size=8 * HASHES).digest()
    out = []
    for i in range(HASHES):
        value = int.from_bytes(digest[8 * i : 8 * i + 8], "little")
        out.append((value % dimensions, 1.0 if (value >> 63) & 1 else -1.0))
    return out


class LocalHashEmbedder:
    """Hashed, IDF-weighted bag of stemmed words and word pairs: no network, same vectors everywhere.

    Fitted on a corpus (the catalog), rare words such as "sledgehammer" weigh more than
    common ones such as "steel". Features the corpus never uses get no weight: they could only
    add noise through hash collisions. Unfitted, every feature weighs the same.
    """

    model = "zava-local-hash-v2"

    def __init__(self, dimensions: int = 384, corpus: Iterable[str] = ()) -> None:
        self.dimensions = dimensions
        documents = [set(f for f, _ in features(text)) for text in corpus]
        frequency = Counter(f for doc in documents for f in doc)
        size = len(documents)
        self.idf = {f: math.log((1 + size) / (1 + n)) + 1 for f, n in frequency.items()}
        self.unseen_idf = 0.0 if documents else 1.0

    def embed(self, texts: list[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dimensions), dtype=np.float64)
        for row, text in enumerate(texts):
            counts = Counter(features(text))
            for (feature, weight), count in counts.items():
                tf = 1 + math.log(count)  # sublinear: a word said five times is not five times as relevant
                for index, sign in _buckets(feature, self.dimensions):
                    vectors[row, index] += sign * weight * tf * self.idf.get(feature, self.unseen_idf)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1.0, norms)


def product_text(product: Product, catalog: Catalog) -> str:
    """What a product's embedding is computed from: name, type, category and description (product_description)."""
    type_name = catalog.type_by_id[product.type_id].type_name
    category_name = catalog.category_by_id[product.category_id].category_name
    return f"{product.product_name}. {type_name}. {category_name}. {product.description}"


def catalog_embedder(catalog: Catalog) -> LocalHashEmbedder:
    """The local embedder fitted on the catalog: the generator and the search use this same one."""
    return LocalHashEmbedder(corpus=[product_text(p, catalog) for p in catalog.products])


def provider_from_settings(name: str, values: dict[str, str], catalog: Catalog) -> EmbeddingProvider:
    """The embedding provider called `name` ("local" or "azure"), configured from the settings."""
    if name == "local":
        return catalog_embedder(catalog)
    if name == "azure":
        return AzureOpenAIEmbedder.from_settings(values)
    raise ConfigError(f"EMBEDDING_PROVIDER must be local or azure, got {name!r}")
