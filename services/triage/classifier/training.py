"""Train a model version with scikit-learn (the ``train`` extra) and export it.

One multinomial logistic regression per head over binary, L2-normalised character
n-gram features, fitted to convergence (``SOLVER``): small, fast, calibrated enough to
threshold on, and its weights say which words decided. Weights too small to change a
decision are dropped on export.
"""

from __future__ import annotations

import json
import math
import random
import re
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

from services.triage.classifier.features import features
from services.triage.classifier.model import (
    HEADS,
    ROUTE,
    SHIPPED_VERSION,
    Calibration,
    Head,
    LinearModel,
    route_label,
)

# Found by grouped cross-validation on the training split only (never on the held-out).
DEFAULT_C = 20.0
LABELS = ("category", "scene", "team", "priority")
# A weight below this on every head's every class is dropped on export. 0.02 until
# version 6: fitted to convergence, the weights spread over twice as many features (63,498
# at 0.02 for version 6, 4.3 MB; triage 156 MiB resident against its 150). At 0.2 a
# feature moves a logit by less than 0.03 in a ticket of 50 features; version 6 keeps
# v5's size (about 30,000 features), its held-out figures no worse (README).
PRUNE_BELOW = 0.2
# Folds of the leave-topics-out cross-validation the calibration is fitted on.
CALIBRATION_FOLDS = 8
# How every head is fitted: to the optimum of its regularised loss. saga (until
# 2026-12-08) did not get there on the route head: scikit-learn's sag step size ignores
# sample weights, and the balanced class weights give a route with four examples a weight
# of about a hundred, so it stopped at 300 iterations at six times the optimum's loss.
# The rows are already scaled (binary, L2-normalised), so scaling is not the cure. Newton
# steps need about seven iterations a head to a gradient of 1e-6 (lbfgs reaches the same
# optimum in 60-110, five times the CPU); 100 is a ceiling never met.
SOLVER: dict[str, Any] = {"solver": "newton-cg", "max_iter": 100, "tol": 1e-6}
# What a newly trained version reads, how its P0 is gated and at what P0 probability a
# fault is read as P0 (model.py, verdict.py). Gate 4 since version 5 (gate 3 since
# version 4); the threshold
# stays 0.3: on leave-topics-out cross-validation of the training split (2026-12-03,
# gate 3) 0.2 found 7 more of 1,268 P0s, cost 0.5 points of priority and raised one more
# P2 text to P0; 0.15 and 0.1 more of both (README).
FEATURE_SET = 2
P0_GATE = 4
P0_AT = 0.3


@dataclass(frozen=True)
class Example:
    text: str
    labels: Mapping[str, str]
    weight: float = 1.0
    group: str = ""


def ticket_text(subject: str, description: str) -> str:
    return f"{subject}\n{description}"


def load_corpus() -> list[dict[str, Any]]:
    """The labelled corpus shipped in the repository (services/triage/data/corpus.jsonl)."""
    data = resources.files("services.triage").joinpath("data/corpus.jsonl").read_text("utf-8")
    return [json.loads(line) for line in data.splitlines() if line.strip()]


def corpus_examples(rows: Iterable[Mapping[str, Any]], split: str) -> list[Example]:
    return [
        Example(
            ticket_text(r["subject"], r["description"]),
            {h: r[h] for h in LABELS},
            group=r.get("group", ""),
        )
        for r in rows
        if r["split"] == split
    ]


def _require_sklearn() -> Any:
    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError as exc:  # the service never trains; the command needs the extra
        raise RuntimeError("training needs scikit-learn: pip install 'sopdesk[train]'") from exc
    return LogisticRegression


def _matrix(texts: Sequence[str], index: Mapping[str, int], feature_set: int) -> Any:
    from scipy.sparse import csr_matrix

    rows, cols, vals = [], [], []
    for i, text in enumerate(texts):
        present = [index[f] for f in features(text, feature_set) if f in index]
        if not present:
            continue
        value = 1.0 / len(present) ** 0.5
        for j in present:
            rows.append(i)
            cols.append(j)
            vals.append(value)
    return csr_matrix((vals, (rows, cols)), shape=(len(texts), len(index)))


def topic_of(group: str) -> str:
    """A corpus group's topic: login-3 and login_2-1 are both about logging in. A
    correction's group (correction-<ticket>) is a topic of its own."""
    if group.startswith("correction-"):
        return group
    return re.sub(r"(_\d+)?-\d+$", "", group)


def train(
    examples: Sequence[Example],
    version: int,
    c: float = DEFAULT_C,
    min_count: int = 1,
    calibrate: bool = True,
) -> LinearModel:
    """Fit every head on ``examples`` and return the exported (pruned) model, with its
    route confidence calibrated (``fit_calibration``)."""
    model = _fit(examples, version, c, min_count)
    if not calibrate:
        return model
    calibration = fit_calibration(examples, c, min_count)
    metrics = {**model.metrics, "calibration": vars(calibration)}
    return LinearModel(
        model.version, model.index, model.heads, metrics, calibration, P0_GATE, FEATURE_SET, P0_AT
    )


def fit_calibration(
    examples: Sequence[Example], c: float = DEFAULT_C, min_count: int = 1
) -> Calibration:
    """Whether the route is right, as a logistic function of the route confidence's
    logit and the share of known words, fitted on leave-topics-out cross-validation:
    each fold's model never saw the held topics, as the service will meet tickets about
    things nobody wrote down. Grouping by phrasing only (the same topic on both sides)
    would teach that the model is nearly always right."""
    from sklearn.linear_model import LogisticRegression

    topics = sorted({topic_of(ex.group or ex.text) for ex in examples})
    random.Random(1).shuffle(topics)
    rows: list[list[float]] = []
    right: list[bool] = []
    for k in range(CALIBRATION_FOLDS):
        held = set(topics[k::CALIBRATION_FOLDS])
        fold = _fit(
            [ex for ex in examples if topic_of(ex.group or ex.text) not in held], 0, c, min_count
        )
        for ex in examples:
            if topic_of(ex.group or ex.text) in held:
                predicted, coverage = fold.read(ex.text)
                route = predicted[ROUTE]
                p = min(max(route.confidence, 1e-6), 1 - 1e-6)
                rows.append([math.log(p / (1 - p)), coverage])
                right.append(route.label == route_label(ex.labels))
    fitted = LogisticRegression(C=1e6).fit(rows, right)
    slope, coverage_weight = (float(w) for w in fitted.coef_[0])
    return Calibration(slope, coverage_weight, float(fitted.intercept_[0]))


def _fit(
    examples: Sequence[Example], version: int, c: float = DEFAULT_C, min_count: int = 1
) -> LinearModel:
    logistic_regression = _require_sklearn()
    counts: dict[str, int] = {}
    for ex in examples:
        for f in features(ex.text, FEATURE_SET):
            counts[f] = counts.get(f, 0) + 1
    vocabulary = sorted(f for f, n in counts.items() if n >= min_count)
    index = {f: i for i, f in enumerate(vocabulary)}
    x = _matrix([ex.text for ex in examples], index, FEATURE_SET)
    sample_weight = [ex.weight for ex in examples]
    fitted: dict[str, tuple[list[str], list[float], list[list[float]]]] = {}
    for head in HEADS:
        y = [route_label(ex.labels) if head == ROUTE else ex.labels[head] for ex in examples]
        clf = logistic_regression(C=c, class_weight="balanced", random_state=0, **SOLVER)
        clf.fit(x, y, sample_weight=sample_weight)
        classes = [str(k) for k in clf.classes_]
        coef = clf.coef_.tolist()
        intercept = clf.intercept_.tolist()
        if len(classes) == 2:  # binary: sklearn keeps one row; make it two opposite ones
            coef = [[-w for w in coef[0]], coef[0]]
            intercept = [-intercept[0], intercept[0]]
        fitted[head] = (classes, intercept, coef)
    # Keep a feature only if some head weighs it; renumber the kept ones.
    keep = [
        j
        for j in range(len(vocabulary))
        if any(abs(row[j]) >= PRUNE_BELOW for _, _, coef in fitted.values() for row in coef)
    ]
    heads = {}
    for head, (classes, intercept, coef) in fitted.items():
        weights = array("f", (coef[c][j] for j in keep for c in range(len(classes))))
        heads[head] = Head(tuple(classes), tuple(intercept), weights)
    kept_index = {vocabulary[j]: i for i, j in enumerate(keep)}
    metrics = {"examples": len(examples), "features": len(keep), "c": c, "solver": SOLVER["solver"]}
    return LinearModel(version, kept_index, heads, metrics, None, P0_GATE, FEATURE_SET, P0_AT)


def write_shipped_model() -> str:
    """Train a model of the newest recipe on the corpus's training split and write it
    beside the corpus as the next shipped file (data/model.json.gz; versions 1 to 5 stay
    as they were in model_v1 to model_v5)."""
    from services.triage.classifier.model import to_bytes

    model = train(corpus_examples(load_corpus(), "train"), SHIPPED_VERSION)
    path = _shipped_path()
    path.write_bytes(to_bytes(model))
    return f"{model.metrics['features']} features, {path.stat().st_size} bytes → {path}"


def write_regated_model(weights_of: int) -> str:
    """Write as the shipped file a shipped version's weights and calibration unchanged,
    with the newest P0 gate and threshold: version 4 is version 3's weights with gate 3
    (a model retrained on the fourth pass was worse on the held-out split's category and
    team; README), version 5 version 4's with gate 4."""
    from services.triage.classifier.model import from_bytes, shipped_model_bytes, to_bytes

    model = from_bytes(shipped_model_bytes(weights_of), SHIPPED_VERSION)
    metrics = {**model.metrics, "weights_of_version": weights_of}
    regated = replace(model, metrics=metrics, p0_gate=P0_GATE, p0_at=P0_AT)
    path = _shipped_path()
    path.write_bytes(to_bytes(regated))
    return f"version {weights_of}'s weights, gate {P0_GATE}, P0 at {P0_AT} → {path}"


def _shipped_path() -> Path:
    return Path(__file__).resolve().parents[1] / "data" / "model.json.gz"


if __name__ == "__main__":
    # python -m services.triage.classifier.training [--weights-of VERSION]
    import argparse

    parser = argparse.ArgumentParser(description="write data/model.json.gz")
    parser.add_argument(
        "--weights-of",
        type=int,
        help="keep this shipped version's weights, with the newest gate (how v4 was made)",
    )
    args = parser.parse_args()
    print(
        write_shipped_model() if args.weights_of is None else write_regated_model(args.weights_of)
    )
