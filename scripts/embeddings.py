"""Text embeddings behind a small provider interface; the default runs locally with numpy."""

from __future__ import annotations

import hashlib
import re
from typing import Protocol

import numpy as np

WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")


class EmbeddingProvider(Protocol):
    """Turns texts into L2-normalised vectors of a fixed size."""

    model: str
    dimensions: int

    def embed(self, texts: list[str]) -> np.ndarray: ...


def _bucket(feature: str, dimensions: int) -> tuple[int, float]:
    digest = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "little")
    return digest % dimensions, 1.0 if (digest >> 63) & 1 else -1.0


class LocalHashEmbedder:
    """Deterministic hashed bag of words and word pairs: no network, same vectors everywhere."""

    model = "zava-local-hash-v1"

    def __init__(self, dimensions: int = 384) -> None:
        self.dimensions = dimensions

    def features(self, text: str) -> list[tuple[str, float]]:
        words = WORD.findall(text.lower())
        return [(w, 1.0) for w in words] + [(f"{a} {b}", 0.5) for a, b in zip(words, words[1:])]

    def embed(self, texts: list[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dimensions), dtype=np.float64)
        for row, text in enumerate(texts):
            for feature, weight in self.features(text):
                index, sign = _bucket(feature, self.dimensions)
                vectors[row, index] += sign * weight
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1.0, norms)
