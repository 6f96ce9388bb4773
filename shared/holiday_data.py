"""China's official holiday schedules as the State Council published them (data only).

Each year: the days off (放假, a break's weekend days included) and the make-up workdays
(调休上班), copied from the notice. Stores that keep a copy of the schedule seed it from
here, so the year is known from the first start; an admin's later load replaces it.

2026: 国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04). 元旦 1月1日至3日,
1月4日(周日)上班; 春节 2月15日至23日, 2月14日(周六)、2月28日(周六)上班; 清明节
4月4日至6日; 劳动节 5月1日至5日, 5月9日(周六)上班; 端午节 6月19日至21日; 中秋节
9月25日至27日; 国庆节 10月1日至7日, 9月20日(周日)、10月10日(周六)上班.
2027's notice is not in this table: an admin loads it when it is published.
"""

from __future__ import annotations

from datetime import date, timedelta

# The notice's wording, one break per entry: (first day off, last day off).
_BREAKS_2026 = (
    ("2026-01-01", "2026-01-03"),
    ("2026-02-15", "2026-02-23"),
    ("2026-04-04", "2026-04-06"),
    ("2026-05-01", "2026-05-05"),
    ("2026-06-19", "2026-06-21"),
    ("2026-09-25", "2026-09-27"),
    ("2026-10-01", "2026-10-07"),
)
_WORKDAYS_2026 = (
    "2026-01-04",
    "2026-02-14",
    "2026-02-28",
    "2026-05-09",
    "2026-09-20",
    "2026-10-10",
)


def _days(first: str, last: str) -> list[date]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


# year -> (days off, make-up workdays), each sorted.
OFFICIAL_SCHEDULES: dict[int, tuple[tuple[date, ...], tuple[date, ...]]] = {
    2026: (
        tuple(d for first, last in _BREAKS_2026 for d in _days(first, last)),
        tuple(date.fromisoformat(d) for d in _WORKDAYS_2026),
    ),
}
