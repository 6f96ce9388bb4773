"""CPU per message of one issue, one ticket: read a new request (uncached) and match it
against the open tickets of its customer (three, or ``--open``; their readings cached, as
in intake), over every wording of the labelled pairs.

    python bench/issue_match_cpu.py [--open 30]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from services.intake.issue_match import match_issue, read_issue

DATA = Path(__file__).resolve().parents[1] / "tests" / "intake" / "data"
SETS = ("issue_pairs.json", "issue_pairs_holdout.json", "issue_pairs_own_2026-12-02.json")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, default=3, help="open tickets of the customer")
    opened = parser.parse_args().open
    texts = [
        (str(w[0]), str(w[1]), w[2])
        for name in SETS
        for customer in json.loads((DATA / name).read_text(encoding="utf-8"))
        for issue in customer
        for w in issue
    ]
    uncached = read_issue.__wrapped__
    rounds = max(60 // opened, 2)
    start = time.process_time()
    for _ in range(rounds):
        for i, text in enumerate(texts):
            new = uncached(*text)
            for j in range(1, opened + 1):
                match_issue(new, read_issue(*texts[(i + j) % len(texts)]))
    spent = time.process_time() - start
    per = spent / (rounds * len(texts)) * 1000
    print(f"{len(texts)} messages x {rounds}: {per:.3f} ms CPU per message ({opened} open tickets)")


if __name__ == "__main__":
    main()
