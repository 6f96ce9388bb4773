"""Training fits every head to the optimum it is asked for: no solver stops at its
iteration limit (a ConvergenceWarning), so a trained version's weights are the
regularised fit of its examples, not wherever the solver happened to stop.

saga, the solver until 2026-12-08, takes one step size for every example whatever its
weight (scikit-learn's sag step ignores sample weights), and the balanced class weights
give a route with four training examples (fault/finance, inquiry/logistics) a weight of
about a hundred: on the training split it stopped at its 300 iterations on the route head,
its objective six times the optimum. A smaller corpus does not show it (the weights are
smaller), so the test fits the whole training split, without the calibration's folds (a
few seconds: newton-cg takes about seven Newton steps a head)."""

from __future__ import annotations

import warnings

from sklearn.exceptions import ConvergenceWarning

from services.triage.classifier.training import corpus_examples, load_corpus, train


def test_every_head_converges_on_the_training_split() -> None:
    examples = corpus_examples(load_corpus(), "train")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = train(examples, 1, calibrate=False)
    assert model.metrics["examples"] == len(examples)
    assert set(model.heads) == {"route", "scene", "priority"}
