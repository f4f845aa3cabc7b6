"""Seeded randomness: one independent generator per part of the dataset."""

from __future__ import annotations

import numpy as np


def rng_for(seed: int, *key: int) -> np.random.Generator:
    """An independent generator for one part of the dataset, fixed by the seed and the key."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))
