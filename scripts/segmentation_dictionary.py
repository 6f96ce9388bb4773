"""Write the segmentation dictionaries of triage and analytics from jieba's own.

    python scripts/segmentation_dictionary.py   # writes shared/data/jieba-*.txt

- ``jieba-small.txt``: jieba's words seen at least 30 times. jieba's full dictionary
  (349,046 words) costs about 58 MB resident; these 66,675 words cost about 10 MB and
  segment most of tickets' words the same (rare words fall back to jieba's HMM). Triage's
  rules and model use it alone: its model was trained on that segmentation.
- ``jieba-service-words.txt``: the rarer words of jieba's dictionary that jieba itself
  finds in the labelled ticket texts (客服, 退款, 换货, 验证码 …, about 1,200), which
  analytics adds so that its report keywords name them whole.

jieba is MIT-licensed; both files are subsets of its dict.txt.
"""

from __future__ import annotations

import json
from pathlib import Path

import jieba

MIN_FREQUENCY = 30
ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "shared" / "data"
TICKET_TEXTS = sorted((ROOT / "services" / "triage" / "data").glob("*.jsonl"))


def main() -> None:
    source = Path(jieba.__file__).parent / "dict.txt"
    entries = [
        line for line in source.read_text(encoding="utf-8").splitlines() if len(line.split()) >= 2
    ]
    kept = [line for line in entries if int(line.split()[1]) >= MIN_FREQUENCY]
    rare = {line.split()[0]: line for line in entries if int(line.split()[1]) < MIN_FREQUENCY}
    (OUT / "jieba-small.txt").write_text("\n".join(kept) + "\n", encoding="utf-8")
    seen: set[str] = set()
    for path in TICKET_TEXTS:
        for row in map(json.loads, path.read_text(encoding="utf-8").splitlines()):
            text = f"{row.get('subject') or ''} {row['description']}"
            seen.update(w for w in jieba.cut(text, HMM=False) if len(w) >= 2 and w in rare)
    service = [rare[w] for w in sorted(seen)]
    (OUT / "jieba-service-words.txt").write_text("\n".join(service) + "\n", encoding="utf-8")
    print(f"{len(kept)} words → jieba-small.txt, {len(service)} → jieba-service-words.txt")


if __name__ == "__main__":
    main()
