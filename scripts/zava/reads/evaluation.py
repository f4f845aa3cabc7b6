"""Search quality on a judged set of shopper questions: hit@1, precision@5 and nDCG@5 per mode."""

from __future__ import annotations

import json
import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pymongo.database import Database

from zava.catalog.loader import Catalog
from zava.errors import KitError
from zava.mongo.server import ServerInfo
from zava.reads.search import product_search
from zava.settings import PROJECT_ROOT

QUESTIONS_PATH = PROJECT_ROOT / "tests" / "data" / "search_questions.json"
DEPTH = 5  # the rows a demo shows


@dataclass(frozen=True)
class Judgment:
    """A shopper question and what answers it: `best` SKUs (grade 2), `relevant` SKUs or type ids (grade 1)."""

    question: str
    category_id: str
    best: frozenset[str]
    relevant: frozenset[str]

    def grade(self, sku: str, type_id: str) -> int:
        if sku in self.best:
            return 2
        return 1 if sku in self.relevant or type_id in self.relevant else 0


def load_judgments(catalog: Catalog, path: Path = QUESTIONS_PATH) -> list[Judgment]:
    """The judged questions in `path`; KitError naming the first bad entry."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise KitError(f"cannot read the judged questions in {path}: {exc}") from None
    known = {p.sku for p in catalog.products} | set(catalog.type_by_id)
    judgments = []
    for i, entry in enumerate(raw if isinstance(raw, list) else []):
        try:
            judgment = Judgment(
                entry["question"], entry["category"], frozenset(entry["best"]), frozenset(entry["relevant"])
            )
        except (KeyError, TypeError):
            raise KitError(f"{path.name}[{i}]: needs question, category, best and relevant") from None
        unknown = sorted((judgment.best | judgment.relevant) - known)
        if unknown or not judgment.best or judgment.category_id not in catalog.category_by_id:
            raise KitError(f"{path.name}[{i}] ({judgment.question!r}): unknown category, SKU or type, or no best SKU")
        judgments.append(judgment)
    if not judgments:
        raise KitError(f"{path.name}: no judged questions")
    return judgments


@dataclass(frozen=True)
class Scores:
    """One question's figures for one ranking."""

    hit_at_1: float
    precision_at_5: float
    ndcg_at_5: float


def score(grades: list[int], ideal: list[int]) -> Scores:
    """Figures for a ranking's grades (top first) against the best grades the catalog allows."""

    def dcg(values: list[int]) -> float:
        return sum((2**g - 1) / math.log2(rank + 2) for rank, g in enumerate(values[:DEPTH]))

    top = grades[:DEPTH]
    best = dcg(sorted(ideal, reverse=True))
    return Scores(
        hit_at_1=float(bool(top) and top[0] > 0),
        precision_at_5=sum(g > 0 for g in top) / DEPTH,
        ndcg_at_5=dcg(top) / best if best else 0.0,
    )


@dataclass(frozen=True)
class ModeReport:
    mode: str
    scores: list[Scores]
    seconds: list[float]
    empty: list[str]  # questions with nothing relevant in the top five
    notes: list[str]  # how the searches ran

    def mean(self, figure: str) -> float:
        return statistics.fmean(getattr(s, figure) for s in self.scores)

    def figures(self) -> dict[str, float | int]:
        return {
            "hit_at_1": round(self.mean("hit_at_1"), 3),
            "precision_at_5": round(self.mean("precision_at_5"), 3),
            "ndcg_at_5": round(self.mean("ndcg_at_5"), 3),
            "questions_without_a_relevant_result": len(self.empty),
            "median_ms": round(1000 * statistics.median(self.seconds), 1),
            "max_ms": round(1000 * max(self.seconds), 1),
        }

    def row(self) -> list[str | int]:
        """The figures as a table row: mode, the three means, questions with nothing relevant, ms median and max."""
        figures = self.figures()
        means = [f"{figures[name]:.3f}" for name in ("hit_at_1", "precision_at_5", "ndcg_at_5")]
        times = [round(figures[name]) for name in ("median_ms", "max_ms")]
        return [self.mode, *means, len(self.empty), *times]


def evaluate(
    judgments: list[Judgment], catalog: Catalog, mode: str, search: Callable[[str], tuple[list[str], list[str]]]
) -> ModeReport:
    """Run `search` (question -> SKUs best first, notes) on every question and score its top five."""
    type_of = {p.sku: p.type_id for p in catalog.products}
    scores, seconds, empty, notes = [], [], [], []
    for judgment in judgments:
        started = time.perf_counter()
        skus, how = search(judgment.question)
        seconds.append(time.perf_counter() - started)
        notes += [note for note in how if note not in notes]
        grades = [judgment.grade(sku, type_of.get(sku, "")) for sku in skus]
        result = score(grades, [judgment.grade(p.sku, p.type_id) for p in catalog.products])
        scores.append(result)
        if result.precision_at_5 == 0:
            empty.append(judgment.question)
    return ModeReport(mode, scores, seconds, empty, notes)


def evaluate_modes(
    db: Database,
    info: ServerInfo,
    settings: dict[str, str],
    judgments: list[Judgment],
    catalog: Catalog,
    modes: Sequence[str],
) -> list[ModeReport]:
    """Each mode's figures: every question searched through product_search, as search_products.py runs it."""
    reports = []
    for mode in modes:

        def search(question: str, mode: str = mode) -> tuple[list[str], list[str]]:
            found, notes = product_search(db, info, settings, question, mode, DEPTH)
            return [h.get("sku", "") for h in found], notes

        reports.append(evaluate(judgments, catalog, mode, search))
    return reports
