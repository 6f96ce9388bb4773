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
from dataclasses import dataclass
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
SHIPPED_VERSION = 0


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
class LinearModel:
    version: int
    index: Mapping[str, int]
    heads: Mapping[str, Head]
    metrics: Mapping[str, Any]

    def predict(self, text: str) -> dict[str, Prediction]:
        present = [(f, self.index[f]) for f in features(text) if f in self.index]
        # Binary features, L2-normalised as in training.
        scale = 1.0 / math.sqrt(len(present)) if present else 0.0
        return {name: _score(head, present, scale) for name, head in self.heads.items()}


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
    evidence = _evidence([_readable(name) for w, name in pushes if w > 0])
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
    text = feature.removeprefix("w:").replace("_", " ")
    return text.strip("^$") or text


# --------------------------------------------------------------------------- storage


def to_body(model: LinearModel) -> dict[str, Any]:
    names = sorted(model.index, key=model.index.__getitem__)
    return {
        "format": FORMAT,
        "features": names,
        "metrics": dict(model.metrics),
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
    return LinearModel(version, index, heads, body.get("metrics") or {})


def to_bytes(model: LinearModel) -> bytes:
    """The model as gzipped JSON, for the model-version table and the shipped file."""
    return gzip.compress(json.dumps(to_body(model), ensure_ascii=False).encode(), mtime=0)


def from_bytes(data: bytes, version: int) -> LinearModel:
    return from_body(json.loads(gzip.decompress(data)), version)


@lru_cache(maxsize=1)
def shipped_model() -> LinearModel:
    """Version 0: the model trained on the repository's corpus, shipped with the code."""
    data = resources.files("services.triage").joinpath("data/model.json.gz").read_bytes()
    return from_bytes(data, SHIPPED_VERSION)
