"""A trained linear model, scored in pure Python.

The exported form is JSON: the feature names once, and per head (category, scene,
team, priority) its classes, intercepts and a float32 weight matrix (feature × class,
base64). A ticket has a few dozen features, so scoring is a few hundred multiply-adds
per head: well under a millisecond.
"""

from __future__ import annotations

import base64
import gzip
import json
import math
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from operator import add
from typing import Any

from services.triage.classifier.features import features

# Category and team are one head ("fault/tech_support"), so the two always agree
# (a fault is never routed to logistics by a second, independent guess).
ROUTE = "route"
HEADS: tuple[str, ...] = (ROUTE, "scene", "priority")
FORMAT = "sopdesk-linear-1"
# The shipped file (data/model.json.gz) is the newest shipped version, 6: trained again
# (solver newton-cg, converged) on the corpus's training split with the spent blind sets
# b, d, e and f in it, feature set 2, P0 gate 4 (migration 0015). Version 5 (version 4's
# weights and calibration, version 3's, with P0 gate 4; migration 0014) is kept as it was
# in data/model_v5.json.gz, version 4 (version 3's weights with gate 3; migration 0011) in
# data/model_v4.json.gz,
# version 3 (feature set 2, gate 2, trained on three corpus passes; migration 0009) in
# data/model_v3.json.gz, version 2 (the same recipe on two passes; migration 0008) in
# data/model_v2.json.gz, version 1, shipped on 2026-12-02 (character n-grams, calibrated,
# P0 gate 1), in data/model_v1.json.gz (migration 0007); version 0, shipped on
# 2026-12-01, is version 1's weights uncalibrated and without gate. A new shipped model
# is a new file and a new version, so every decision replays with the model that made it.
SHIPPED_VERSION = 6
FIRST_VERSION = 0
_SHIPPED_FILES = {
    1: "data/model_v1.json.gz",
    2: "data/model_v2.json.gz",
    3: "data/model_v3.json.gz",
    4: "data/model_v4.json.gz",
    5: "data/model_v5.json.gz",
    6: "data/model.json.gz",
}


def route_label(labels: Mapping[str, str]) -> str:
    return f"{labels['category']}/{labels['team']}"


@dataclass(frozen=True)
class Head:
    classes: tuple[str, ...]
    intercepts: tuple[float, ...]
    weights: array  # float32, row-major: feature index × class


@dataclass(frozen=True)
class Prediction:
    label: str
    confidence: float
    probabilities: Mapping[str, float]
    # The features that pushed most towards the label, strongest first.
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class Calibration:
    """How likely the route is right, from the route head's confidence and the share of
    the text's words the model knows: a logistic fit on predictions for topics a fold's
    model never saw. The head's own confidence is honest on wordings like its training
    texts and far too sure on text about something else (发票开错了 → fault 0.74, because
    错了 and 开 lean to faults): so the share of known words counts too."""

    slope: float
    coverage_weight: float
    intercept: float

    def certainty(self, confidence: float, coverage: float) -> float:
        p = min(max(confidence, 1e-6), 1 - 1e-6)
        z = self.slope * math.log(p / (1 - p)) + self.coverage_weight * coverage
        return 1.0 / (1.0 + math.exp(-(z + self.intercept)))


@dataclass(frozen=True)
class LinearModel:
    version: int
    index: Mapping[str, int]
    heads: Mapping[str, Head]
    metrics: Mapping[str, Any]
    # None for models trained before calibration: their route confidence is taken as is.
    calibration: Calibration | None = None
    # Which list of emergency words the model's P0 must find in the text (verdict.py):
    # 0 none, 1 the list of 2026-12-02 morning, 2 the wider one. Data, not code, so a
    # version replays as it decided: 0 for models made before the gate.
    p0_gate: int = 2
    # Which features the model reads (features.py): 1 character n-grams, 2 with words.
    feature_set: int = 1
    # The P0 probability at which a fault is read as P0 (verdict.py), if the gate agrees:
    # 0.3 until version 3; a version's own, so it replays as it decided.
    p0_at: float = 0.3

    def predict(self, text: str) -> dict[str, Prediction]:
        return self.read(text)[0]

    def read(self, text: str) -> tuple[dict[str, Prediction], float]:
        """Every head's prediction, and the share of the text's word features (n-grams
        of two or three characters, English words) the model knows: single characters
        are nearly always known and say little."""
        found = features(text, self.feature_set)
        present = [(f, self.index[f]) for f in found if f in self.index]
        # Binary features, L2-normalised as in training.
        scale = 1.0 / math.sqrt(len(present)) if present else 0.0
        words = [f for f in found if len(f.removeprefix("w:")) > 1 and f[:2] not in ("j:", "k:")]
        coverage = sum(f in self.index for f in words) / len(words) if words else 0.0
        predicted = {name: _score(head, present, scale) for name, head in self.heads.items()}
        return predicted, coverage

    def coverage(self, text: str) -> float:
        return self.read(text)[1]

    def certainty(self, route: Prediction, coverage: float) -> float:
        """How likely ``route`` (this model's route prediction) is right, given the share
        of the text's words the model knows."""
        if self.calibration is None:
            return route.confidence
        return self.calibration.certainty(route.confidence, coverage)


def _score(head: Head, present: Sequence[tuple[str, int]], scale: float) -> Prediction:
    n = len(head.classes)
    weights = head.weights
    sums = [0.0] * n
    for _, row in present:
        sums = list(map(add, sums, weights[row * n : row * n + n]))
    logits = [b + v * scale for b, v in zip(head.intercepts, sums, strict=True)]
    top = max(logits)
    exps = [math.exp(v - top) for v in logits]
    total = sum(exps)
    best = max(range(n), key=exps.__getitem__)
    pushes = sorted(((weights[row * n + best], name) for name, row in present), reverse=True)
    # Word classes (k:) are not words: the words that made them are named instead.
    evidence = _evidence([_readable(name) for w, name in pushes if w > 0 and name[:2] != "k:"])
    return Prediction(
        label=head.classes[best],
        confidence=exps[best] / total,
        probabilities={c: e / total for c, e in zip(head.classes, exps, strict=True)},
        evidence=evidence,
    )


def _evidence(words: Sequence[str], limit: int = 4) -> tuple[str, ...]:
    """The strongest words, longer ones first-class: 系统 rather than 系 and 统."""
    chosen: list[str] = []
    for word in [w for w in words if len(w) > 1] + [w for w in words if len(w) == 1]:
        if len(chosen) == limit:
            break
        if not any(word in c or c in word for c in chosen):
            chosen.append(word)
    return tuple(chosen)


def _readable(feature: str) -> str:
    text = feature.removeprefix("w:").removeprefix("j:").replace("_", " ")
    return text.strip("^$") or text


# --------------------------------------------------------------------------- storage


def to_body(model: LinearModel) -> dict[str, Any]:
    names = sorted(model.index, key=model.index.__getitem__)
    calibration = model.calibration
    return {
        "format": FORMAT,
        "features": names,
        "metrics": dict(model.metrics),
        "p0_gate": model.p0_gate,
        "feature_set": model.feature_set,
        "p0_at": model.p0_at,
        "calibration": None
        if calibration is None
        else {
            "slope": calibration.slope,
            "coverage_weight": calibration.coverage_weight,
            "intercept": calibration.intercept,
        },
        "heads": {
            name: {
                "classes": list(head.classes),
                "intercepts": list(head.intercepts),
                "weights": base64.b64encode(head.weights.tobytes()).decode("ascii"),
            }
            for name, head in model.heads.items()
        },
    }


def from_body(body: Mapping[str, Any], version: int) -> LinearModel:
    if body.get("format") != FORMAT:
        raise ValueError(f"not a {FORMAT} model")
    heads = {}
    for name, data in body["heads"].items():
        weights = array("f")
        weights.frombytes(base64.b64decode(data["weights"]))
        heads[name] = Head(tuple(data["classes"]), tuple(data["intercepts"]), weights)
    index = {name: i for i, name in enumerate(body["features"])}
    fitted = body.get("calibration")
    calibration = (
        None
        if not fitted
        else Calibration(
            float(fitted["slope"]), float(fitted["coverage_weight"]), float(fitted["intercept"])
        )
    )
    # Bodies stored before the gate was data: calibration and the gate came in one change,
    # so a calibrated model decided with the gate and an uncalibrated one without.
    # (stored as true/false until gate 2: true is gate 1).
    p0_gate = int(body.get("p0_gate", calibration is not None))
    feature_set = int(body.get("feature_set", 1))
    # Bodies stored before the threshold was data decided at 0.3.
    p0_at = float(body.get("p0_at", 0.3))
    return LinearModel(
        version, index, heads, body.get("metrics") or {}, calibration, p0_gate, feature_set, p0_at
    )


def to_bytes(model: LinearModel) -> bytes:
    """The model as gzipped JSON, for the model-version table and the shipped file."""
    return gzip.compress(json.dumps(to_body(model), ensure_ascii=False).encode(), mtime=0)


def from_bytes(data: bytes, version: int) -> LinearModel:
    return from_body(json.loads(gzip.decompress(data)), version)


@lru_cache(maxsize=1)
def shipped_model() -> LinearModel:
    """The newest shipped version, trained on the repository's corpus."""
    return from_bytes(shipped_model_bytes(), SHIPPED_VERSION)


def shipped_model_bytes(version: int = SHIPPED_VERSION) -> bytes:
    """A shipped version's file as it shipped (1 to 5, or the newest)."""
    path = _SHIPPED_FILES[version]
    return resources.files("services.triage").joinpath(path).read_bytes()


@lru_cache(maxsize=1)
def first_model() -> LinearModel:
    """Version 0 as it decided: version 1's weights (unchanged from 2026-12-01), its
    route confidence taken as is and no P0 gate."""
    v1 = from_bytes(shipped_model_bytes(1), 1)
    return replace(v1, version=FIRST_VERSION, calibration=None, p0_gate=0)
