"""Product search: vector, text and hybrid rankings recomputed from raw documents; the judged questions; refusals."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

import search_products
from zava.catalog.embeddings import kit_embedder, product_text
from zava.catalog.loader import load_catalog
from zava.catalog.local_embedder import STOPWORDS, VERSION, stem
from zava.model.indexes import VECTOR_COLLECTION
from zava.mongo.server import server_info
from zava.reads.evaluation import QUESTIONS_PATH, load_judgments
from zava.reads.search import HYBRID_CANDIDATES, HYBRID_WEIGHTS, RRF_K, has_vector_index

SKU = re.compile(r"\b[A-Z]{2,5}-[A-Z]{2,6}-\d{3}\b")
HOLDOUT_PATH = QUESTIONS_PATH.with_name("search_questions_holdout.json")


def printed_skus(out: str) -> list[str]:
    return SKU.findall(out)


def cosine_ranking(world, query: str) -> list[str]:
    """Every live product's SKU by cosine similarity to the query, from the raw stored vectors (ties by id)."""
    rows = [r for r in world["raw"][VECTOR_COLLECTION] if r.get("deleted") is not True]
    matrix = np.array([r["description_embedding"] for r in rows])
    vector = kit_embedder().embed([query])[0]
    scores = matrix @ vector / (np.linalg.norm(matrix, axis=1) * np.linalg.norm(vector))
    sku = {p["product_id"]: p["sku"] for p in world["raw"]["products"]}
    order = sorted(range(len(rows)), key=lambda i: (-scores[i], rows[i]["product_id"]))
    return [sku[rows[i]["product_id"]] for i in order]


def search(world, capsys, query: str, *flags: str) -> tuple[list[str], str]:
    assert search_products.main([*world["settings"], query, *flags]) == 0
    out, err = capsys.readouterr()
    return printed_skus(out), err


def uses_exact_cosine(world) -> bool:
    return not has_vector_index(world["db"], server_info(world["db"].client))


def test_vector_mode_is_the_cosine_ranking_of_the_stored_vectors(world, capsys):
    for query in ("cordless drill", "something to water the garden", "keep weeds out of the beds"):
        found, err = search(world, capsys, query, "--mode", "vector", "--limit", "7")
        if uses_exact_cosine(world):
            assert "exact cosine over 424 embeddings with numpy" in err
            assert found == cosine_ranking(world, query)[:7]
        else:  # Atlas $vectorSearch is approximate: the same products, in nearly the same order
            assert "vector search: Atlas $vectorSearch" in err
            assert len(set(found) & set(cosine_ranking(world, query)[:7])) >= 6


def text_ranking(world, query: str, k: int) -> list[str]:
    """The local server's text mode worked out again from the raw documents: products matching more of the
    query's words (as written, or stemmed) first; among the best 30 by words and rarity, those whose names
    hold more of the words; then by the summed rarity of the words matched; then by id."""
    words = list(dict.fromkeys(w for w in re.findall(r"[a-z0-9]+", query.lower()) if w not in STOPWORDS))
    tokens = {
        r["product_id"]: set(re.findall(r"[a-z0-9]+", r["search_text"].lower()))
        for r in world["raw"][VECTOR_COLLECTION]
    }
    names = {
        p["product_id"]: set(re.findall(r"[a-z0-9]+", p["product_name"].lower())) for p in world["raw"]["products"]
    }
    count: dict[str, int] = {}
    rarity: dict[str, float] = {}
    for word in words:
        having = [p for p, found in tokens.items() if {word, stem(word)} & found]
        for p in having:
            count[p] = count.get(p, 0) + 1
            rarity[p] = rarity.get(p, 0.0) + math.log(1 + len(tokens) / len(having))
    best = sorted(count, key=lambda p: (-count[p], -rarity[p], p))[: max(30, 3 * k)]
    in_name = {p: sum(bool({w, stem(w)} & names[p]) for w in words) for p in best}
    sku = {p["product_id"]: p["sku"] for p in world["raw"]["products"]}
    return [sku[p] for p in sorted(best, key=lambda p: (-count[p], -in_name[p], -rarity[p], p))[:k]]


def test_text_mode_matches_any_word_and_ranks_products_matching_more_words_first(world, capsys):
    query = "stain for a wooden deck fence"
    found, err = search(world, capsys, query, "--mode", "text", "--limit", "10")
    texts = {p["sku"]: p for p in world["raw"]["products"]}
    assert len(found) == 10
    if world["local"]:
        assert "one $text per word (the local server's $text needs every word)" in err
        assert found == text_ranking(world, query, 10)
    else:  # MongoDB's own $text: any word, stemmed, by textScore
        assert "$text (any word, stemmed) ranked by textScore" in err
        search_text = {r["product_id"]: r["search_text"].lower() for r in world["raw"][VECTOR_COLLECTION]}
        for sku in found:
            assert any(w in search_text[texts[sku]["product_id"]] for w in ("stain", "wood", "deck", "fence")), sku


def test_hybrid_mode_is_the_weighted_rank_fusion_of_the_two_rankings(world, capsys):
    query = "paint for a humid bathroom"
    depth = HYBRID_CANDIDATES * 5
    vector, _ = search(world, capsys, query, "--mode", "vector", "--limit", str(depth))
    text, _ = search(world, capsys, query, "--mode", "text", "--limit", str(depth))
    hybrid, err = search(world, capsys, query)  # hybrid is the default, five rows
    assert f"reciprocal rank fusion, k = {RRF_K}, weights 1 : 0.3" in err
    fused: dict[str, float] = {}
    for ranking, weight in zip((vector, text), HYBRID_WEIGHTS):
        for rank, sku in enumerate(ranking, start=1):
            fused[sku] = fused.get(sku, 0.0) + weight / (RRF_K + rank)
    sku_to_id = {p["sku"]: p["product_id"] for p in world["raw"]["products"]}
    assert hybrid == [s for s, _ in sorted(fused.items(), key=lambda kv: (-kv[1], sku_to_id[kv[0]]))][:5]


def test_limit_sets_the_number_of_rows_and_must_be_positive(world, capsys):
    for limit in ("1", "12"):
        found, _ = search(world, capsys, "garden hose", "--limit", limit)
        assert len(found) == int(limit)
    with pytest.raises(SystemExit) as stop:
        search_products.main([*world["settings"], "garden hose", "--limit", "0"])
    assert stop.value.code == 2 and "--limit must be at least 1, got 0" in capsys.readouterr().err


def test_the_published_questions_are_judged_against_the_catalog():
    catalog = load_catalog()
    for path, least in ((QUESTIONS_PATH, 40), (HOLDOUT_PATH, 27)):
        judgments = load_judgments(catalog, path)
        assert len(judgments) >= least
        categories = [j.category_id for j in judgments]
        assert {c: categories.count(c) >= 3 for c in catalog.category_by_id} == dict.fromkeys(
            catalog.category_by_id, True
        )
        assert len({j.question for j in judgments}) == len(judgments)
        assert all(not (j.best & j.relevant) for j in judgments)


def recomputed_figures(world, path) -> dict[str, float]:
    """hit@1, precision@5 and nDCG@5 of the cosine ranking, worked out here from the raw judgments."""
    products = {p["sku"]: p for p in world["raw"]["products"]}
    hits, precision, ndcg = [], [], []
    for entry in json.loads(path.read_text()):

        def grade(sku: str, entry=entry) -> int:
            if sku in entry["best"]:
                return 2
            return int(sku in entry["relevant"] or products[sku]["type_id"] in entry["relevant"])

        top = [grade(s) for s in cosine_ranking(world, entry["question"])[:5]]
        ideal = sorted((grade(s) for s in products), reverse=True)[:5]
        dcg = [sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gs)) for gs in (top, ideal)]
        hits.append(top[0] > 0)
        precision.append(sum(g > 0 for g in top) / 5)
        ndcg.append(dcg[0] / dcg[1])
    return {
        "hit_at_1": round(float(np.mean(hits)), 3),
        "precision_at_5": round(float(np.mean(precision)), 3),
        "ndcg_at_5": round(float(np.mean(ndcg)), 3),
    }


def test_evaluate_prints_the_figures_of_the_published_set(world, capsys):
    assert search_products.main([*world["settings"], "--evaluate", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert list(figures) == ["vector", "text", "hybrid"]
    if uses_exact_cosine(world):
        expected = recomputed_figures(world, QUESTIONS_PATH)
        assert {k: figures["vector"][k] for k in expected} == expected
    # the quality the kit promises on its own published set (README, "Product search")
    for mode in ("vector", "hybrid"):
        assert figures[mode]["precision_at_5"] >= 0.7, figures[mode]
        assert figures[mode]["questions_without_a_relevant_result"] == 0, figures[mode]
    assert figures["text"]["precision_at_5"] >= 0.5, figures["text"]


def test_evaluate_as_a_table_names_the_questions_a_mode_missed(world, capsys):
    assert search_products.main([*world["settings"], "--evaluate", str(HOLDOUT_PATH), "--mode", "text"]) == 0
    out, err = capsys.readouterr()
    table = out.splitlines()
    assert table[0].split()[:4] == ["mode", "hit@1", "precision@5", "nDCG@5"] and table[2].split()[0] == "text"
    assert len(table) == 3  # only the mode asked for
    missed = int(table[2].split()[4])
    assert len(re.findall(r"^text: nothing relevant in the top 5 for '", err, flags=re.M)) == missed
    assert f"27 judged questions from {HOLDOUT_PATH}" in err


def test_bad_question_files_and_arguments_are_one_line(world, tmp_path, capsys):
    bad = tmp_path / "questions.json"
    bad.write_text(
        json.dumps([{"question": "a saw", "category": "cat_power_tools", "best": ["NOPE-SAW-001"], "relevant": []}])
    )
    assert search_products.main([*world["settings"], "--evaluate", str(bad)]) == 1
    assert capsys.readouterr().err.strip() == (
        "error: questions.json[0] ('a saw'): unknown category, SKU or type, or no best SKU"
    )
    assert search_products.main([*world["settings"], "--evaluate", str(tmp_path / "missing.json")]) == 1
    assert "cannot read the judged questions in" in capsys.readouterr().err
    for argv in ([], ["a query", "--evaluate"]):
        with pytest.raises(SystemExit) as stop:
            search_products.main([*world["settings"], *argv])
        assert stop.value.code == 2 and "give a query, or --evaluate" in capsys.readouterr().err


@pytest.fixture
def embeddings_copy(world, client, db_name, settings):
    """The world's product_embeddings and products in the test's own database, to change freely."""
    db = client[db_name]
    db[VECTOR_COLLECTION].insert_many(world["raw"][VECTOR_COLLECTION])
    db.products.insert_many(world["raw"]["products"])
    return db


def test_search_refuses_vectors_of_another_model_in_one_line(embeddings_copy, settings, capsys):
    db = embeddings_copy
    model = kit_embedder().model
    assert model.startswith(VERSION + "/") and {r["embedding_model"] for r in db[VECTOR_COLLECTION].find()} == {model}
    db[VECTOR_COLLECTION].update_one({}, {"$set": {"embedding_model": "zava-local-hash-v2"}})
    assert search_products.main([*settings, "tile saw", "--mode", "vector"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == (
        f"error: product_embeddings mixes vectors of 2 models ({', '.join(sorted([model, 'zava-local-hash-v2']))}): "
        "reload them with python scripts/generate_mongodb_data.py"
    )
    db[VECTOR_COLLECTION].update_many({}, {"$set": {"embedding_model": "zava-local-hash-v2"}})
    assert search_products.main([*settings, "tile saw", "--mode", "hybrid"]) == 1
    assert (
        "made by zava-local-hash-v2 (a model this kit no longer has); queries here would use" in capsys.readouterr().err
    )
    db[VECTOR_COLLECTION].update_many({}, {"$set": {"embedding_model": f"{VERSION}/000000000000"}})
    assert search_products.main([*settings, "tile saw", "--mode", "vector"]) == 1
    assert "(another catalog or version)" in capsys.readouterr().err
    db[VECTOR_COLLECTION].update_many({}, {"$set": {"embedding_model": "azure-openai/theirs"}})
    env_file = Path(settings[1])
    env_file.write_text(
        "AZURE_OPENAI_ENDPOINT=https://example.openai.azure.com\nAZURE_OPENAI_API_KEY=k\nAZURE_OPENAI_DEPLOYMENT=ours\n"
    )
    assert search_products.main([*settings, "tile saw", "--mode", "vector"]) == 1
    assert capsys.readouterr().err.strip() == (
        "error: the stored embeddings were made by azure-openai/theirs (another Azure OpenAI deployment than "
        "AZURE_OPENAI_DEPLOYMENT); queries here would use azure-openai/ours: "
        "reload them with python scripts/generate_mongodb_data.py"
    )


def test_text_mode_without_its_index_says_which_script_creates_it(embeddings_copy, settings, capsys):
    code = search_products.main([*settings, "tile saw", "--mode", "text"])
    out, err = capsys.readouterr()
    if server_info(embeddings_copy.client).is_local:  # its $text reads every string field, index or not
        assert code == 0 and "PWR-SAW-014" in printed_skus(out)
    else:
        assert code == 1 and err.strip() == (
            "error: text search needs the product_embeddings_search_text index: run python scripts/create_indexes.py"
        )


def test_the_search_text_is_what_the_catalog_says_and_stays_off_synced_documents(world):
    catalog = load_catalog()
    stored = {r["product_id"]: r["search_text"] for r in world["raw"][VECTOR_COLLECTION]}
    assert stored == {p.product_id: product_text(p, catalog) for p in catalog.products}
    tile_saw = next(p for p in catalog.products if p.sku == "PWR-SAW-014")
    assert "tile" in " ".join(catalog.type_by_id[tile_saw.type_id].jobs + tile_saw.jobs)
    for name, docs in world["raw"].items():
        if name != VECTOR_COLLECTION:
            assert not any("jobs" in d or "search_text" in d for d in docs), name
