"""Text embeddings behind a small provider interface; the default runs locally with numpy."""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Protocol

import numpy as np

from zava.catalog.azure_embedder import AzureOpenAIEmbedder
from zava.catalog.loader import Catalog, Product, load_catalog
from zava.catalog.local_embedder import LocalEmbedder
from zava.errors import ConfigError


class EmbeddingProvider(Protocol):
    """Turns texts into L2-normalised vectors of a fixed size."""

    model: str
    dimensions: int

    def embed(self, texts: list[str]) -> np.ndarray: ...


def product_fields(product: Product, catalog: Catalog) -> dict[str, str]:
    """What a product's embedding is made of: its name, kind (type and category), jobs and description."""
    kind = catalog.type_by_id[product.type_id]
    return {
        "name": product.product_name,
        "kind": f"{kind.type_name}. {catalog.category_by_id[product.category_id].category_name}",
        "jobs": ". ".join(kind.jobs + product.jobs),
        "description": product.description,
    }


def product_text(product: Product, catalog: Catalog) -> str:
    """A product's fields as one text: what a remote model embeds and what the kit's text search matches."""
    return ". ".join(product_fields(product, catalog).values())


Fields = tuple[tuple[tuple[str, str], ...], ...]  # each product's fields, hashable: the key of the caches below


def _fields(products: list[Product], catalog: Catalog) -> Fields:
    return tuple(tuple(product_fields(p, catalog).items()) for p in products)


def embed_products(embedder: EmbeddingProvider, products: list[Product], catalog: Catalog) -> np.ndarray:
    """One unit vector per product: field by field for the local model, the whole text for others."""
    if isinstance(embedder, LocalEmbedder):
        return _local_vectors(embedder, _fields(products, catalog)).copy()
    return embedder.embed([product_text(p, catalog) for p in products])


@lru_cache(maxsize=4)
def _local_vectors(embedder: LocalEmbedder, documents: Fields) -> np.ndarray:
    """The local model's vectors of these products, computed once per process (the model is deterministic)."""
    return embedder.embed_documents([dict(doc) for doc in documents])


def catalog_embedder(catalog: Catalog) -> LocalEmbedder:
    """The local model fitted on the catalog: the generator and the search use this same one.
    Fitted once per catalog content in a process (each load and search asks for it)."""
    return _fitted(_fields(catalog.products, catalog))


@lru_cache(maxsize=4)
def _fitted(documents: Fields) -> LocalEmbedder:
    return LocalEmbedder([dict(doc) for doc in documents])


@cache
def kit_embedder() -> LocalEmbedder:
    """The local model fitted on the kit's catalog file, made once per process."""
    return catalog_embedder(load_catalog())


def provider_from_settings(name: str, values: dict[str, str], catalog: Catalog) -> EmbeddingProvider:
    """The embedding provider called `name` ("local" or "azure"), configured from the settings."""
    if name == "local":
        return catalog_embedder(catalog)
    if name == "azure":
        return AzureOpenAIEmbedder.from_settings(values)
    raise ConfigError(f"EMBEDDING_PROVIDER must be local or azure, got {name!r}")
