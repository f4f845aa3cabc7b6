"""The offline embedding model: IDF-weighted words, word pairs and character n-grams, hashed into a fixed vector.

Fitted on the catalog, so it knows which words are rare (and so telling) and which words the
catalog never uses (they get no weight: they could only add noise through hash collisions).
A product's vector is a weighted sum of its fields' vectors, the jobs shoppers name among them,
so a question about the job meets the products that do it.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from functools import lru_cache

import numpy as np

VERSION = "zava-local-v3"
WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")
STOPWORDS = frozenset(
    re.findall(
        r"\w+",
        "a an and any are as at be by can do does for from get has have how i in into is it its me my need of on or "
        "out so some something that the their them this to up use what which with without you your",
    )
)
# Forms the suffix rules below would get wrong
IRREGULAR = {
    "shelves": "shelf",
    "shelving": "shelf",
    "leaves": "leaf",
    "knives": "knife",
    "halves": "half",
    "feet": "foot",
    "teeth": "tooth",
    "wired": "wire",
    "wiring": "wire",
}
PAIR_WEIGHT = 0.5  # an adjacent word pair counts half as much as a word
GRAM_WEIGHT = 0.4  # all character n-grams of a word together count this much
GRAM_SIZE = 4
DIMENSIONS = 768
HASHES = 2  # signed buckets per feature: spreading each feature thins out the damage of collisions
# How much each field of a product weighs in its vector (each field's vector is normalised first).
FIELD_WEIGHTS: dict[str, float] = {"name": 0.7, "kind": 0.6, "jobs": 1.5, "description": 0.3}


def stem(word: str) -> str:
    """Light English stemming: plurals and -ing/-ed forms ("drills" -> "drill", "cutting" -> "cut")."""
    if word in IRREGULAR:
        return IRREGULAR[word]
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    for ending in ("ing", "ed"):
        base = word[: -len(ending)]
        if word.endswith(ending) and len(base) >= 3 and re.search("[aeiouy]", base) and not word.endswith("eed"):
            return base[:-1] if len(base) > 3 and base[-1] == base[-2] and base[-1] not in "lsz" else base
    return word


def words(text: str) -> list[str]:
    """The stemmed words of a text, stopwords dropped."""
    return [_stem(w) for w in WORD.findall(text.lower()) if w not in STOPWORDS]


_stem = lru_cache(maxsize=65536)(stem)


@lru_cache(maxsize=65536)
def _grams(word: str) -> tuple[str, ...]:
    padded = f"<{word}>"
    return tuple("#" + padded[i : i + GRAM_SIZE] for i in range(max(1, len(padded) - GRAM_SIZE + 1)))


@lru_cache(maxsize=65536)
def _word_features(word: str) -> tuple[tuple[str, float], ...]:
    """A word's own features: itself, and its character n-grams sharing GRAM_WEIGHT."""
    grams = _grams(word)
    return ((word, 1.0), *((gram, GRAM_WEIGHT / len(grams)) for gram in grams))


def features(text: str) -> Counter[str]:
    """Each feature of a text and its summed base weight: words, adjacent word pairs, character n-grams."""
    found: Counter[str] = Counter()
    stems = words(text)
    for word, count in Counter(stems).items():
        for feature, weight in _word_features(word):
            found[feature] += weight * count
    for pair, count in Counter(f"{first} {second}" for first, second in zip(stems, stems[1:])).items():
        found[pair] += PAIR_WEIGHT * count
    return found


def feature_set(text: str) -> set[str]:
    """The features of a text, without weights (what fitting counts)."""
    stems = words(text)
    found = set(stems).union(*map(_grams, set(stems)))
    found.update(f"{first} {second}" for first, second in zip(stems, stems[1:]))
    return found


def _buckets(feature: str, dimensions: int) -> list[tuple[int, float]]:
    digest = hashlib.blake2b(feature.encode(), digest_size=8 * HASHES).digest()
    out = []
    for i in range(HASHES):
        value = int.from_bytes(digest[8 * i : 8 * i + 8], "little")
        out.append((value % dimensions, 1.0 if (value >> 63) & 1 else -1.0))
    return out


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


class LocalEmbedder:
    """Deterministic, offline embeddings fitted on a corpus of documents (each a mapping of field -> text).

    `model` names the version and the corpus it was fitted on: vectors from another catalog
    (or another version) are not comparable, and search refuses to mix them.
    """

    def __init__(self, documents: Sequence[Mapping[str, str]], dimensions: int = DIMENSIONS) -> None:
        self.dimensions = dimensions
        corpus = [set().union(*map(feature_set, doc.values())) for doc in documents]
        frequency = Counter(f for doc in corpus for f in doc)
        self.idf = {f: math.log((1 + len(corpus)) / (1 + n)) + 1 for f, n in frequency.items()}
        digest = hashlib.sha256(repr([sorted(doc.items()) for doc in documents]).encode())
        digest.update(repr((dimensions, FIELD_WEIGHTS, PAIR_WEIGHT, GRAM_WEIGHT, GRAM_SIZE, HASHES)).encode())
        self.model = f"{VERSION}/{digest.hexdigest()[:12]}"
        self._slots: dict[str, tuple[tuple[int, float], ...]] = {}  # feature -> (bucket, sign x IDF) pairs

    def _slots_of(self, feature: str) -> tuple[tuple[int, float], ...]:
        if feature not in self._slots:
            idf = self.idf.get(feature)
            buckets = _buckets(feature, self.dimensions) if idf is not None else []
            self._slots[feature] = tuple((index, sign * idf) for index, sign in buckets)
        return self._slots[feature]

    def _vector(self, text: str) -> np.ndarray:
        indexes, values = [], []
        for feature, weight in features(text).items():
            tf = 1 + math.log(weight) if weight > 1 else weight  # sublinear: five mentions are not five times one
            for index, signed_idf in self._slots_of(feature):
                indexes.append(index)
                values.append(signed_idf * tf)
        vector = np.zeros(self.dimensions, dtype=np.float64)
        np.add.at(vector, np.array(indexes, dtype=np.intp), np.array(values, dtype=np.float64))
        return vector

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit vectors of plain texts (queries)."""
        return _unit(np.array([self._vector(text) for text in texts]).reshape(len(texts), self.dimensions))

    def embed_documents(self, documents: Sequence[Mapping[str, str]]) -> np.ndarray:
        """Unit vectors of documents: the weighted sum of each field's unit vector."""
        rows = np.zeros((len(documents), self.dimensions), dtype=np.float64)
        for row, doc in enumerate(documents):
            for field, text in doc.items():
                rows[row] += FIELD_WEIGHTS[field] * _unit(self._vector(text))
        return _unit(rows)
