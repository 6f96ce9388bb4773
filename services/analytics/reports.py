"""Weekly and monthly reviews (复盘): top issues and complaint reasons with their shares,
jieba keywords per category, SLA compliance and the trend, per-team quality, and the
problems to hand to other departments; as data and as a printable HTML page."""

from __future__ import annotations

import asyncio
import html
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.analytics import metrics, phrases, repository, service
from services.analytics.rollups import REPORT_ZONE
from services.analytics.schemas import (
    CategoryKeywords,
    DepartmentIssues,
    Figures,
    IssueShare,
    Keyword,
    MonthlyReport,
    PeriodFigures,
    Trend,
    WeeklyReport,
)
from shared.inputs import EARLIEST, LATEST
from shared.vocabulary import CATEGORIES

# Which department hears about the problems each team handled.
DEPARTMENTS = {
    "logistics": ("logistics", "物流部"),
    "tech_support": ("product", "产品技术部"),
    "product": ("product", "产品技术部"),
    "finance": ("finance", "财务部"),
    "after_sales": ("after_sales", "售后部"),
    "complaints": ("quality", "质量管理部"),
    "frontline": ("service", "客服部"),
}
DEPARTMENT_NAMES = {key: name for key, name in DEPARTMENTS.values()}
MAX_TEXTS = 5000  # texts per category fed to jieba; enough for stable keywords
TOP = 10


async def synonyms(session: AsyncSession) -> dict[str, str]:
    """The synonym table in force (term → reason): the stored one, else the defaults."""
    rows = await repository.synonym_rows(session)
    if rows:
        return {row.term: row.reason for row in rows}
    return phrases.synonym_index(phrases.DEFAULT_SYNONYMS)


def week_window(week: str) -> tuple[date, date]:
    """Monday and Sunday of ``2026-W47``; ValueError if it is not such a week."""
    year, sep, number = week.partition("-W")
    if not sep or len(year) != 4 or not number.isdigit():
        raise ValueError(week)
    return _within_calendar(metrics.week_bounds(week))


def month_window(month: str) -> tuple[date, date]:
    first = datetime.strptime(month, "%Y-%m").date()
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return _within_calendar((first, following - timedelta(days=1)))


def _within_calendar(window: tuple[date, date]) -> tuple[date, date]:
    """ValueError for a window near year 1 or 9999, where time-zone arithmetic overflows."""
    if window[0] < EARLIEST.date() or window[1] > LATEST.date():
        raise ValueError(window)
    return window


def _instant(day: date) -> datetime:
    return datetime.combine(day, time(0), REPORT_ZONE)


def issue_of(row: Any, table: dict[str, str]) -> str:
    """The issue a ticket is about: the reason its words name through the synonym table,
    else triage's first keyword that names something (a rule may fire on a word like 请问
    or 如何, which says nothing of the issue), else the subject's first such term, else
    the subject."""
    reason = phrases.reason_of(
        (row.subject, row.description), table, [str(k) for k in row.keywords or ()]
    )
    if reason:
        return reason
    found = phrases.subject_phrase(row.subject)
    if found:
        return table.get(found, found)
    return (row.subject or "未填写").strip()[:30] or "未填写"


def _facts(session: AsyncSession, first: date, last: date) -> AsyncIterator[Any]:
    """The report's facts of tickets received from ``first`` to ``last`` (report days),
    row by row."""
    return repository.report_facts(session, _instant(first), _instant(last + timedelta(days=1)))


def _shares(counts: Counter[str], whole: int, top: int = TOP) -> list[IssueShare]:
    return [
        IssueShare(issue=label, count=n, share=round(n / whole, 4) if whole else 0.0)
        for label, n in counts.most_common(top)
    ]


class KeywordTexts:
    """A period's texts per category (subjects, descriptions, comments; at most
    ``MAX_TEXTS`` a category), the keywords triage matched, and the tickets per category,
    gathered row by row."""

    def __init__(self, table: dict[str, str]) -> None:
        self.texts: dict[str, list[str]] = defaultdict(list)
        self.known: set[str] = set(table)
        self.tickets: Counter[str] = Counter()

    def add(self, row: Any) -> None:
        category = row.category or ""
        self.tickets[category] += 1
        bucket = self.texts[category]
        if len(bucket) < MAX_TEXTS:
            bucket.extend(t for t in (row.subject, row.description, row.survey_comment) if t)
        self.known.update(str(k) for k in row.keywords or ())

    def keywords(self, top: int = TOP) -> list[CategoryKeywords]:
        """Each category's terms: recurring phrases that name a problem, then jieba TF-IDF
        words, stop words and order numbers left out."""
        phrases.add_words(self.known)
        categories = sorted(self.texts)
        joined = ["\n".join(self.texts[c]) for c in categories]
        out = []
        for category, weights in zip(
            categories, phrases.tfidf_weights(joined, top * 3), strict=True
        ):
            terms = phrases.extract(self.texts[category], top, weights)
            out.append(
                CategoryKeywords(
                    category=category or "unknown",
                    name=CATEGORIES.label(category) if category else "未分类",
                    tickets=self.tickets[category],
                    keywords=[Keyword(word=w, weight=weight) for w, weight in terms],
                )
            )
        return out


def _trend(current: Figures, previous: Figures) -> Trend:
    def delta(a: float | None, b: float | None) -> float | None:
        return round(a - b, 4) if a is not None and b is not None else None

    return Trend(
        tickets=current.tickets - previous.tickets,
        tickets_change=round((current.tickets - previous.tickets) / previous.tickets, 4)
        if previous.tickets
        else None,
        sla_compliance=delta(current.sla_compliance, previous.sla_compliance),
        csat_average=delta(current.csat.average, previous.csat.average),
        complaint_share=delta(current.complaint_share, previous.complaint_share),
        fcr_rate=delta(current.fcr_rate, previous.fcr_rate),
    )


async def _period(
    session: AsyncSession, first: date, last: date, group_by: str | None = None
) -> Any:
    return await metrics.summary(session, group_by, {}, since=first, until=last)


async def _beside_the_one_before(
    session: AsyncSession,
    window: tuple[date, date],
    before: tuple[date, date],
    group_by: str | None = None,
) -> tuple[Any, dict[str, Any]]:
    """A review's period (grouped by ``group_by``), and the review's fields that set its
    figures beside those of the period before it."""
    current = await _period(session, *window, group_by)
    previous = await _period(session, *before)
    return current, {
        "since": window[0],
        "until": window[1],
        "figures": current["figures"],
        "previous": PeriodFigures(since=before[0], until=before[1], figures=previous["figures"]),
        "trend": _trend(current["figures"], previous["figures"]),
    }


def _headlines(top_issues: list[IssueShare], complaints: list[IssueShare]) -> list[str]:
    lines = [f"{c.issue}投诉占比{round(c.share * 100)}%" for c in complaints[:3]]
    lines += [f"{i.issue}占全部工单{round(i.share * 100)}%" for i in top_issues[:3]]
    return lines


async def weekly(session: AsyncSession, week: str) -> WeeklyReport:
    first, last = week_window(week)
    prev_first, prev_last = first - timedelta(days=7), last - timedelta(days=7)
    current, compared = await _beside_the_one_before(
        session, (first, last), (prev_first, prev_last)
    )
    table = await synonyms(session)
    issues: Counter[str] = Counter()
    reasons_seen: Counter[str] = Counter()
    texts = KeywordTexts(table)
    async for row in _facts(session, first, last):
        issue = issue_of(row, table)
        issues[issue] += 1
        if row.category == "complaint":
            reasons_seen[issue] += 1
        texts.add(row)
    before: Counter[str] = Counter()
    async for row in _facts(session, prev_first, prev_last):
        before[issue_of(row, table)] += 1
    top = _shares(issues, issues.total())
    reasons = _shares(reasons_seen, reasons_seen.total())
    for item in top:
        item.previous_count = before.get(item.issue, 0)
    keywords = await asyncio.to_thread(texts.keywords)
    return WeeklyReport(
        week=week,
        **compared,
        by_category=current["by_category"],
        by_channel=current["by_channel"],
        top_issues=top,
        complaint_reasons=reasons,
        headlines=_headlines(top, reasons),
        keywords=keywords,
    )


async def monthly(session: AsyncSession, month: str) -> MonthlyReport:
    """Per team, then per department the teams report to, from the same team figures, so
    a department's counts are the sum of its teams' in the table above it."""
    first, last = month_window(month)
    prev_last = first - timedelta(days=1)
    prev_first = prev_last.replace(day=1)
    current, compared = await _beside_the_one_before(
        session, (first, last), (prev_first, prev_last), "team"
    )
    table = await synonyms(session)
    teams = service.named(current["groups"], (await service.labels(session))["team"])
    by_department: dict[str, list[Any]] = defaultdict(list)
    department_of: dict[str | None, str] = {}
    for group in teams:
        department_of[group.key] = DEPARTMENTS.get(group.key, ("service", ""))[0]
        by_department[department_of[group.key]].append(group)
    issues: dict[str, Counter[str]] = defaultdict(Counter)
    first_rows: dict[str, list[str | None]] = defaultdict(list)  # ticket numbers, in row order
    async for row in _facts(session, first, last):
        department = department_of.get(row.team)
        if department is None:
            continue
        issues[department][issue_of(row, table)] += 1
        if len(first_rows[department]) < 5:
            first_rows[department].append(row.ticket_no)
    departments = []
    for key in sorted(
        by_department, key=lambda k: -sum(g.figures.tickets for g in by_department[k])
    ):
        groups = by_department[key]
        answers = sum(g.figures.csat.responses for g in groups)
        total = sum((g.figures.csat.average or 0) * g.figures.csat.responses for g in groups)
        departments.append(
            DepartmentIssues(
                department=key,
                name=DEPARTMENT_NAMES.get(key, key),
                teams=[g.name or g.key for g in groups],
                tickets=sum(g.figures.tickets for g in groups),
                breached=sum(g.figures.breached for g in groups),
                csat_average=round(total / answers, 2) if answers else None,
                issues=_shares(issues[key], issues[key].total(), 5),
                examples=[n for n in first_rows[key] if n],
            )
        )
    return MonthlyReport(
        month=month,
        **compared,
        teams=teams,
        departments=departments,
    )


# --------------------------------------------------------------------------- HTML

_STYLE = """
body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;margin:2rem;
color:#1f2933;max-width:60rem}h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;
border-bottom:2px solid #d9e2ec;padding-bottom:.2rem;margin-top:2rem}.muted{color:#627d98}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #d9e2ec;
padding:.3rem .5rem;text-align:left}th{background:#f0f4f8}td.n{text-align:right}
.kpis{display:flex;flex-wrap:wrap;gap:.8rem}.kpi{border:1px solid #d9e2ec;border-radius:6px;
padding:.5rem .8rem;min-width:8rem}.kpi b{display:block;font-size:1.3rem}
.bar{background:#2680c2;height:.7rem;display:inline-block;vertical-align:middle}
ul.head li{font-size:1.05rem;margin:.2rem 0}@media print{body{margin:0}.kpi{break-inside:avoid}
h2{break-after:avoid}}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _minutes(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds / 60:.0f} 分钟"


def _kpis(f: Figures) -> str:
    items = [
        ("工单量 tickets", f.tickets),
        ("SLA 达标率", _pct(f.sla_compliance)),
        ("首次响应中位数", _minutes(f.first_response.median_seconds)),
        ("解决时长 P90", _minutes(f.resolution.p90_seconds)),
        ("一次解决率 FCR", _pct(f.fcr_rate)),
        ("重开率", _pct(f.reopen_rate)),
        ("满意度 CSAT", "—" if f.csat.average is None else f"{f.csat.average:.2f}"),
        ("投诉占比", _pct(f.complaint_share)),
        ("补偿金额", f"¥{f.compensation_total:,.2f}"),
    ]
    cells = "".join(f'<div class="kpi">{_e(k)}<b>{_e(v)}</b></div>' for k, v in items)
    return f'<div class="kpis">{cells}</div>'


def _share_table(title: str, rows: Sequence[IssueShare], prev: bool = False) -> str:
    head = (
        "<tr><th>问题</th><th>数量</th><th>占比</th>" + ("<th>上周</th>" if prev else "") + "</tr>"
    )
    body = "".join(
        f"<tr><td>{_e(r.issue)}</td><td class=n>{r.count}</td><td>"
        f'<span class="bar" style="width:{r.share * 10:.1f}rem"></span> {_pct(r.share)}</td>'
        + (f"<td class=n>{r.previous_count}</td>" if prev else "")
        + "</tr>"
        for r in rows
    )
    return f"<h2>{_e(title)}</h2><table>{head}{body or '<tr><td colspan=4>无</td></tr>'}</table>"


def _trend_html(t: Trend) -> str:
    def signed(v: float | None, pct: bool = True) -> str:
        if v is None:
            return "—"
        return f"{v * 100:+.1f}%" if pct else f"{v:+.2f}"

    return (
        "<h2>趋势 Trend (环比)</h2><table><tr><th>工单量</th><th>SLA 达标率</th><th>满意度</th>"
        "<th>投诉占比</th><th>一次解决率</th></tr>"
        f"<tr><td>{t.tickets:+d} ({signed(t.tickets_change)})</td><td>{signed(t.sla_compliance)}"
        f"</td><td>{signed(t.csat_average, False)}</td><td>{signed(t.complaint_share)}</td>"
        f"<td>{signed(t.fcr_rate)}</td></tr></table>"
    )


def _page(title: str, subtitle: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{_e(title)}'
        f"</title><style>{_STYLE}</style></head><body><h1>{_e(title)}</h1>"
        f'<p class="muted">{_e(subtitle)}</p>{body}</body></html>'
    )


def weekly_html(r: WeeklyReport) -> str:
    heads = "".join(f"<li>{_e(h)}</li>" for h in r.headlines) or "<li>本周无工单</li>"
    keywords = "".join(
        f"<tr><td>{_e(k.name)} {_e(k.category)}</td><td class=n>{k.tickets}</td><td>"
        + "、".join(_e(w.word) for w in k.keywords)
        + "</td></tr>"
        for k in r.keywords
    )
    body = (
        f'<h2>要点 Highlights</h2><ul class="head">{heads}</ul>'
        f"<h2>本周指标 Figures</h2>{_kpis(r.figures)}{_trend_html(r.trend)}"
        + _share_table("高频问题 Most frequent issues", r.top_issues, prev=True)
        + _share_table("投诉原因 Complaint reasons", r.complaint_reasons)
        + "<h2>关键词 Keywords by category (jieba TF-IDF)</h2><table><tr><th>类别</th>"
        f"<th>工单</th><th>关键词</th></tr>{keywords}</table>"
    )
    return _page(
        f"客服周报 Weekly review {r.week}",
        f"{r.since} — {r.until}(北京时间),上周 {r.previous.since} — {r.previous.until}",
        body,
    )


def monthly_html(r: MonthlyReport) -> str:
    teams = "".join(
        f"<tr><td>{_e(g.name or g.key)}</td><td class=n>{g.figures.tickets}</td>"
        f"<td>{_pct(g.figures.sla_compliance)}</td>"
        f"<td>{_minutes(g.figures.first_response.median_seconds)}</td>"
        f"<td>{_minutes(g.figures.resolution.median_seconds)}</td>"
        f"<td>{_pct(g.figures.fcr_rate)}</td><td>{_pct(g.figures.reopen_rate)}</td>"
        f"<td>{'—' if g.figures.csat.average is None else f'{g.figures.csat.average:.2f}'}</td>"
        f"<td class=n>{g.figures.breached}</td></tr>"
        for g in r.teams
    )
    departments = "".join(
        f"<h3>{_e(d.name)}（{_e('、'.join(d.teams))}）：{d.tickets} 件，超时 {d.breached} 件，"
        f"满意度 {'—' if d.csat_average is None else f'{d.csat_average:.2f}'}</h3><ul>"
        + "".join(f"<li>{_e(i.issue)}：{i.count} 件（{_pct(i.share)}）</li>" for i in d.issues)
        + f"</ul><p class=muted>例：{_e('、'.join(d.examples))}</p>"
        for d in r.departments
    )
    body = (
        f"<h2>本月指标 Figures</h2>{_kpis(r.figures)}{_trend_html(r.trend)}"
        "<h2>各团队服务质量 Service quality per team</h2><table><tr><th>团队</th><th>工单</th>"
        "<th>SLA 达标</th><th>首响中位数</th><th>解决中位数</th><th>FCR</th><th>重开率</th>"
        f"<th>CSAT</th><th>超时</th></tr>{teams}</table>"
        f"<h2>需同步各部门的问题 Problems for other departments</h2>{departments or '<p>无</p>'}"
    )
    return _page(
        f"客服月报 Monthly review {r.month}",
        f"{r.since} — {r.until}(北京时间)",
        body,
    )
