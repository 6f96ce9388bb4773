"""Triage's classifier on the held-out split of its corpus, and how fast it decides.

    python bench/classifier_eval.py
        [--set corpus|first|third|fourth|three_passes|fresh|blind_b|blind_d|blind_e|blind_f|blind_g]
        [--model-version N]
        [--misses] [--industry NAME]
    python bench/classifier_eval.py --cross-validate [REVIEW_BELOW ...] [--by-topic]
        [--p0-gate G ...] [--p0-at P ...] [--misses]   # the training split only
    python bench/classifier_eval.py --writers-out     # the spent blind sets b, d, e, f

Prints accuracy of category, scene, team and priority, P0 recall, P2 texts raised to
P0, the share flagged for review, confusion matrices, and the time to classify one
ticket (rules and model) as p50/p99 over the held-out set, repeated. The held-out
split (services/triage/data/corpus.jsonl, "split": "test") was set once by a hash of
each phrasing and is never trained or tuned on. ``--set fresh`` scores instead the
second held-out set (services/triage/data/heldout_2026-12-02.jsonl), written on
2 December 2026 from the seeds' and issue 18's definitions without running the
classifier or reading its rules first, and scored once (spent since: its misses were
read). ``--set blind_b`` scores the third (services/triage/data/heldout_blind_b.jsonl,
260 tickets), written on 2 December 2026 by someone who read neither the classifier, its
rules nor its corpus, scored once that evening with model v3: spent, and in the corpus's
training split since the fourth pass (2026-12-03), so no clean figure any more.
``--set blind_d`` scores the fourth (services/triage/data/heldout_blind_d.jsonl, 260
tickets), written on 3 December 2026 from the SPEC and the seeds alone (no code, data or
README of the project read), after model v4 and rules v5, and scored once with them.
``--set blind_e`` the fifth (300), written the same way on 4 December 2026. Blind sets b, d
and e are all spent since 4 December 2026: their misses were read for rules version 6, so
they are development sets, no clean figure.

``--writers-out`` asks whether the spent blind sets b, d, e and f (each one writer's) teach
the model anything about words nobody wrote down for it: leave one writer out, train on
the corpus's training split without any spent set plus the other three, score the one left
out; against a model trained without any of them, scored on the same set. Then the model
trained on all four, on the held-out split. blind_g is never read: it is the one blind set
still never trained on.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from services.triage.classifier.evaluation import FIELDS, confusion_table, evaluate
from services.triage.classifier.model import (
    SHIPPED_VERSION,
    LinearModel,
    from_bytes,
    shipped_model,
    shipped_model_bytes,
)
from services.triage.classifier.training import corpus_examples, load_corpus, topic_of, train
from services.triage.classifier.verdict import REVIEW_BELOW
from services.triage.industries import INDUSTRIES, apply_industry
from services.triage.learning import classify_row
from services.triage.rules.defaults import DEFAULT_RULESET
from services.triage.rules.engine import load_dictionary
from services.triage.rules.model import RuleSet

TRIAGE_DATA = Path(__file__).resolve().parents[1] / "services" / "triage" / "data"
FRESH_SET = TRIAGE_DATA / "heldout_2026-12-02.jsonl"
# Written blind (classifier, rules and corpus unread), to be scored once.
BLIND_B_SET = TRIAGE_DATA / "heldout_blind_b.jsonl"
BLIND_D_SET = TRIAGE_DATA / "heldout_blind_d.jsonl"
BLIND_E_SET = TRIAGE_DATA / "heldout_blind_e.jsonl"
BLIND_F_SET = TRIAGE_DATA / "heldout_blind_f.jsonl"
BLIND_G_SET = TRIAGE_DATA / "heldout_blind_g.jsonl"
# The blind sets whose misses were read (development sets), each one writer's; g is not one.
SPENT_SETS = {
    "blind_b": BLIND_B_SET,
    "blind_d": BLIND_D_SET,
    "blind_e": BLIND_E_SET,
    "blind_f": BLIND_F_SET,
}


def heldout_rows(path: Path) -> list[dict[str, Any]]:
    """A held-out set kept apart from the corpus: one JSON ticket a line."""
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def _classify(
    ruleset: RuleSet, model: LinearModel, review_below: float, row: dict[str, Any]
) -> dict[str, Any]:
    return classify_row(ruleset, model, row, review_below)


def cross_validate(
    ruleset: RuleSet,
    review_below: float,
    folds: int = 4,
    by_topic: bool = False,
    always_train_from: int | None = None,
    p0_thresholds: Sequence[float] = (),
    p0_gates: Sequence[int] = (),
    misses: bool = False,
) -> None:
    """Grouped k-fold on the training split only: what thresholds are tuned on. By
    phrasing (a group), or ``by_topic`` (all of a topic's phrasings held out together:
    how the model does on things nobody wrote down for it). With ``always_train_from``
    (a corpus pass), the rows of that pass and later ones are in every fold's training
    and never scored: the folds are those of the earlier passes alone, so the figures
    compare with a run on the corpus before that pass and say what the pass taught.
    Each of ``p0_gates`` × ``p0_thresholds`` scores the same folds' models with that P0
    gate and threshold (none: the trained one's), so they compare on one training run."""
    rows = [r for r in load_corpus() if r["split"] == "train"]
    extra = [r for r in rows if always_train_from and r.get("pass", 1) >= always_train_from]
    rows = [r for r in rows if r not in extra]
    group_of = (lambda r: topic_of(r["group"])) if by_topic else (lambda r: r["group"])
    groups = sorted({group_of(r) for r in rows})
    random.Random(1).shuffle(groups)
    gates: list[int | None] = [*p0_gates] or [None]
    thresholds: list[float | None] = [*p0_thresholds] or [None]
    variants = [(gate, threshold) for gate in gates for threshold in thresholds]
    totals: dict[tuple[int | None, float | None], dict[str, float]] = {v: {} for v in variants}
    missed: dict[tuple[int | None, float | None], list[str]] = {v: [] for v in variants}
    for k in range(folds):
        held = set(groups[k::folds])
        fold_rows = [r for r in rows if group_of(r) not in held] + extra
        trained = train(corpus_examples(fold_rows, "train"), 1)
        for variant in variants:
            gate, threshold = variant
            model = replace(
                trained,
                p0_gate=trained.p0_gate if gate is None else gate,
                p0_at=trained.p0_at if threshold is None else threshold,
            )
            fold = evaluate(
                [r for r in rows if group_of(r) in held],
                partial(_classify, ruleset, model, review_below),
            )
            missed[variant] += [m for m in fold.misses if "priority P0→" in m]
            for key, value in fold.summary().items():
                weight = fold.n if key in FIELDS else 1
                totals[variant][key] = totals[variant].get(key, 0.0) + value * weight
    for variant in variants:
        gate, threshold = variant
        total = totals[variant]
        n = total["tickets"]
        print(
            f"cross-validated (train split, {folds} folds by "
            f"{'topic' if by_topic else 'phrasing'}, "
            + (
                f"pass {always_train_from} and later always trained on, "
                if always_train_from
                else ""
            )
            + f"review below {review_below}"
            + ("" if gate is None else f", P0 gate {gate}")
            + ("" if threshold is None else f", P0 at {threshold}")
            + "): "
            + ", ".join(f"{f} {total[f] / n:.1%}" for f in FIELDS)
            + f"; P0 {total['p0_found']:.0f}/{total['p0_total']:.0f}, P2→P0 "
            f"{total['p2_raised_to_p0']:.0f}, review {total['needs_review']:.0f}"
        )
        if misses:
            for miss in missed[variant]:
                print("  P0 missed: " + miss)


def as_training_row(row: dict[str, Any]) -> dict[str, Any]:
    """A blind set's ticket as the corpus holds blind_b's: a training row, its own topic
    (a group without a -N suffix, so the calibration's folds hold it out alone)."""
    return {**row, "split": "train", "group": row["id"].replace("-", "_")}


def _train_and_score(
    job: tuple[str, list[dict[str, Any]], list[str]],
) -> tuple[str, dict[str, dict[str, Any]], float]:
    """Train on a job's rows; its figures on each named set (the held-out split as
    "corpus") with the default rules, and the training's CPU seconds."""
    name, rows, scored = job
    started = time.process_time()
    model = train(corpus_examples(rows, "train"), 1)
    cpu = time.process_time() - started
    ruleset = apply_industry(DEFAULT_RULESET, "generic")  # as --set scores
    figures = {}
    for which in scored:
        tickets = (
            [r for r in load_corpus() if r["split"] == "test"]
            if which == "corpus"
            else heldout_rows(SPENT_SETS[which])
        )
        figures[which] = evaluate(
            tickets, partial(_classify, ruleset, model, REVIEW_BELOW)
        ).summary()
    return name, figures, cpu


def _figures(s: dict[str, Any]) -> str:
    return (
        f"category {s['category']:.1%}, team {s['team']:.1%}, priority {s['priority']:.1%}, "
        f"P0 {s['p0_found']}/{s['p0_total']}, P2→P0 {s['p2_raised_to_p0']}, "
        f"review {s['needs_review']}"
    )


def writers_out(workers: int = 2) -> None:
    """Leave one writer out over the spent blind sets (module docstring); ``workers``
    trainings at a time (each is single-threaded)."""
    from multiprocessing import get_context

    spent = {name: heldout_rows(path) for name, path in SPENT_SETS.items()}
    # The corpus without any spent set (blind_b is in its training split since pass 4).
    own = [
        r
        for r in load_corpus()
        if r["split"] == "train" and r.get("source", "").removeprefix("heldout_") not in spent
    ]
    names = sorted(spent)
    jobs = [("none", own, [*names, "corpus"])]
    for left_out in names:
        others = [as_training_row(r) for name in names if name != left_out for r in spent[name]]
        jobs.append((f"without {left_out}", own + others, [left_out]))
    every = [as_training_row(r) for name in names for r in spent[name]]
    jobs.append(("all four", own + every, ["corpus"]))
    with get_context("fork").Pool(workers) as pool:
        results = {name: (figures, cpu) for name, figures, cpu in pool.map(_train_and_score, jobs)}
    none, _ = results["none"]
    keys = ("category", "team", "priority", "p0_found", "p0_total", "p2_raised_to_p0")
    sums: dict[str, list[float]] = {"base": [0.0] * len(keys), "with": [0.0] * len(keys)}
    for left_out in names:
        mine, _ = results[f"without {left_out}"]
        print(f"{left_out}, trained on none of the spent sets: {_figures(none[left_out])}")
        print(f"{left_out}, trained on the other three:        {_figures(mine[left_out])}")
        for k, key in enumerate(keys):
            share = 1 / len(names) if k < 3 else 1  # accuracies averaged, counts summed
            sums["base"][k] += none[left_out][key] * share
            sums["with"][k] += mine[left_out][key] * share
    for label, key in (("none of the spent sets", "base"), ("the other three", "with")):
        v = sums[key]
        print(
            f"mean over the four left out, trained on {label}: category {v[0]:.1%}, "
            f"team {v[1]:.1%}, priority {v[2]:.1%}; P0 {v[3]:.0f}/{v[4]:.0f}, P2→P0 {v[5]:.0f}"
        )
    print(f"held-out split, trained on none of the spent sets: {_figures(none['corpus'])}")
    every_four = results["all four"][0]["corpus"]
    print(f"held-out split, trained on all four:               {_figures(every_four)}")
    for name, (_, cpu) in results.items():
        print(f"training '{name}': {cpu:.0f} s CPU")


def _in_set(row: dict[str, Any], which: str) -> bool:
    if which == "first":
        return "pass" not in row
    if which == "third":
        return row.get("pass") == 3
    if which == "fourth":
        return row.get("pass") == 4
    if which == "three_passes":
        return row.get("pass", 1) < 4
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="print every miss")
    parser.add_argument(
        "--set",
        dest="which",
        default="corpus",
        choices=[
            "corpus",
            "first",
            "third",
            "fourth",
            "three_passes",
            "fresh",
            "blind_b",
            "blind_d",
            "blind_e",
            "blind_f",
            "blind_g",
        ],
        help="the corpus's held-out split, its first pass's part (the 519 scored before "
        "2026-12-02's second pass), its third pass's part (varied4/5.py, 2026-12-02 "
        "afternoon), its fourth pass's part (varied6.py, 2026-12-03), the first three passes' "
        "part (the 1,156 scored before the fourth pass), the fresh set (spent: its misses "
        "were read), the blind set b (scored once on 2026-12-02, training data since), the "
        "blind set d (written 2026-12-03 after model v4), the blind set e (300, written "
        "2026-12-04 from the SPEC and seeds alone), the blind set f (300, written the same "
        "way in the evening of 2026-12-04, after rules v6 and model v5) or the blind set g "
        "(300, written the same way on 2026-12-05; score each once per model); b, d "
        "and e spent since 2026-12-04 (their misses were read for rules v6): development sets",
    )
    parser.add_argument("--industry", default="generic", choices=sorted(INDUSTRIES))
    parser.add_argument(
        "--cross-validate",
        type=float,
        nargs="*",
        metavar="REVIEW_BELOW",
        help="tune on the training split instead (grouped 4-fold), per review threshold",
    )
    parser.add_argument(
        "--by-topic", action="store_true", help="cross-validate holding out whole topics"
    )
    parser.add_argument(
        "--p0-at",
        type=float,
        nargs="*",
        default=[],
        metavar="P",
        help="cross-validate with each of these P0 thresholds (the same folds' models)",
    )
    parser.add_argument(
        "--p0-gate",
        type=int,
        nargs="*",
        default=[],
        metavar="GATE",
        help="cross-validate with each of these P0 gates (the same folds' models)",
    )
    parser.add_argument(
        "--model-version",
        type=int,
        help="score this shipped version (its kept file) instead of the newest",
    )
    parser.add_argument(
        "--always-train-from",
        type=int,
        metavar="PASS",
        help="cross-validate on the earlier passes only, this pass and later always trained on",
    )
    parser.add_argument(
        "--writers-out",
        action="store_true",
        help="leave each spent blind set's writer out in turn (b, d, e, f; never g)",
    )
    args = parser.parse_args()
    ruleset = apply_industry(DEFAULT_RULESET, args.industry)
    if args.writers_out:
        writers_out()
        return
    if args.cross_validate is not None:
        for threshold in args.cross_validate or [REVIEW_BELOW]:
            cross_validate(
                ruleset,
                threshold,
                by_topic=args.by_topic,
                always_train_from=args.always_train_from,
                p0_thresholds=args.p0_at,
                p0_gates=args.p0_gate,
                misses=args.misses,
            )
        return
    model = (
        shipped_model()
        if args.model_version in (None, SHIPPED_VERSION)
        else from_bytes(shipped_model_bytes(args.model_version), args.model_version)
    )
    kept_apart = {
        "fresh": FRESH_SET,
        "blind_b": BLIND_B_SET,
        "blind_d": BLIND_D_SET,
        "blind_e": BLIND_E_SET,
        "blind_f": BLIND_F_SET,
        "blind_g": BLIND_G_SET,
    }
    rows = (
        heldout_rows(kept_apart[args.which])
        if args.which in kept_apart
        else [r for r in load_corpus() if r["split"] == "test" and _in_set(r, args.which)]
    )
    report = evaluate(rows, lambda row: classify_row(ruleset, model, row))
    s = report.summary()
    print(
        f"held-out ({args.which}): {s['tickets']} tickets; category {s['category']:.1%}, "
        f"team {s['team']:.1%}, "
        f"priority {s['priority']:.1%}, scene {s['scene']:.1%}; P0 recall "
        f"{s['p0_found']}/{s['p0_total']} ({s['p0_recall']:.1%}); P2 raised to P0: "
        f"{s['p2_raised_to_p0']}; flagged for review: {s['needs_review']}"
    )
    for name in FIELDS:
        print(f"\n{name} (rows: label, columns: decided)\n{confusion_table(report, name)}")
    if args.misses:
        print("\nmisses:")
        for miss in report.misses:
            print("  " + miss)
    load_dictionary()
    wall, cpu = [], []
    for k in range(5):
        for row in rows:
            fresh = {**row, "description": row["description"] + " " * (k + 1)}  # no cache
            started, started_cpu = time.perf_counter(), time.process_time()
            classify_row(ruleset, model, fresh)
            wall.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
    for name, times in (("wall", wall), ("cpu", cpu)):
        times.sort()
        p50, p99 = times[len(times) // 2], times[int(len(times) * 0.99)]
        print(f"classify one ticket ({name}): p50 {p50 * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms")
    print(f"(load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
