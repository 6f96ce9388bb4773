"""Write triage's segmentation dictionary: jieba's words seen at least 30 times.

    python scripts/triage_dictionary.py   # writes services/triage/data/jieba-small.txt

jieba's full dictionary (349,046 words) costs about 58 MB resident; these 66,675
words cost about 10 MB and segment tickets' words the same (rare words fall back to
jieba's HMM). jieba is MIT-licensed; the file is a subset of its dict.txt.
"""

from __future__ import annotations

from pathlib import Path

import jieba

MIN_FREQUENCY = 30
OUT = Path(__file__).resolve().parents[1] / "services" / "triage" / "data" / "jieba-small.txt"


def main() -> None:
    source = Path(jieba.__file__).parent / "dict.txt"
    kept = [
        line
        for line in source.read_text(encoding="utf-8").splitlines()
        if len(parts := line.split()) >= 2 and int(parts[1]) >= MIN_FREQUENCY
    ]
    OUT.write_text("\n".join(kept) + "\n", encoding="utf-8")
    print(f"{len(kept)} words → {OUT}")


if __name__ == "__main__":
    main()
