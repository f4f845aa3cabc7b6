"""docs/DATA_MODEL.md is rendered from the definitions, and its field list matches what is generated."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from common import PROJECT_ROOT
from helpers import default_size_dataset
from zava.docs import data_model
from zava.generation.dataset import DatasetSpec
from zava.model.collections import COLLECTIONS


def test_every_generated_field_is_documented_and_nothing_else():
    fields, _ = data_model.sample(
        DatasetSpec(300, 2000, datetime(2024, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC), 5)
    )
    assert set(data_model.FIELDS) == {c.name for c in COLLECTIONS}
    for collection, documented in data_model.FIELDS.items():
        assert set(fields[collection]) == set(documented), collection


@pytest.mark.slow
def test_data_model_doc_is_the_rendered_output():
    sampled, _ = default_size_dataset()  # data_model.sample() of its dataset, generated once with test_dataset.py's
    assert (PROJECT_ROOT / "docs" / "DATA_MODEL.md").read_text() == data_model.render(sampled)
