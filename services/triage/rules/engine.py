"""The rule engine as plain functions: no database, no broker.

A rule set is an ordered list of rules. A rule fires when every condition it
states holds: its text condition (any of its keywords or regex patterns in
subject + description; keywords match as substrings, as English word prefixes,
or as jieba words close together), channel, customer type, scene and ticket
metadata. The first rule in order that fires decides category, scene, priority,
team and skill (the default set lists the P0 rules first); the keywords and
tags of all fired rules are kept. Priority is then raised one level for VIP
customers and one level for wide impact. Every step is written to the
explanation that travels with the decision.

The question guard comes before the first rule decides: a text that asks or takes care
before anything happened ("电梯万一着火了有没有自动断电的功能", "买之前问一下会不会冒烟")
names the alarming thing without it happening, so no P0 rule decides it and the
classifier's P0 becomes P1, unless the text also says a real event ("刚才冒烟了",
"闻到煤气味"). The explanation says which cue held P0 back, or which event let it stand.

Since rules version 6 an emergency said in any category (a body harmed, a person
threatened or trapped, money taken by someone else) lifts the decision to P0 whoever
decided it, unless it is asked about; breadth of impact is read from patterns too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from services.triage.classifier.model import LinearModel
from services.triage.classifier.verdict import REVIEW_BELOW, model_verdict

# Re-exported: the knowledge base and the app import them from here.
from services.triage.classifier.words import load_dictionary as load_dictionary
from services.triage.classifier.words import segment as segment
from services.triage.rules.defaults import DEFAULT_RULESET
from services.triage.rules.model import PRIORITY_ORDER, PriorityModifiers, Rule, RuleSet

# --------------------------------------------------------------------------- text


@dataclass(frozen=True)
class TicketText:
    subject: str
    description: str = ""
    channel: str | None = None
    customer_type: str = "new"
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @cached_property
    def text(self) -> str:
        # Kept: every rule reads it, and a new string would be hashed again per rule.
        return f"{self.subject}\n{self.description}".lower()

    @cached_property
    def positions(self) -> Mapping[str, tuple[int, ...]]:
        """Where each of the text's jieba words stands: segmenting is most of a rule
        set's cost, so only a Chinese keyword whose words are all in the text asks."""
        return word_positions(self.text)


_ASCII = re.compile(r"^[\x00-\x7f]+$")


@dataclass(frozen=True)
class _KeywordPlan:
    """How one keyword is looked for, worked out once per keyword rather than per ticket."""

    key: str
    english: re.Pattern[str] | None  # whole words at the start, for an English keyword
    parts: tuple[str, ...]  # jieba's words of a Chinese keyword


@lru_cache(maxsize=4096)
def _keyword_plan(keyword: str) -> _KeywordPlan:
    key = keyword.lower().strip()
    if key and _ASCII.match(key):
        return _KeywordPlan(key, re.compile(r"(?<![a-z0-9])" + re.escape(key)), ())
    return _KeywordPlan(key, None, segment(key) if key else ())


def _keyword_matches(plan: _KeywordPlan, ticket: TicketText) -> bool:
    text = ticket.text
    # Each test below needs the keyword (or each of its words) as a substring of the text,
    # so a substring test, far cheaper, turns most keywords away first.
    if plan.english is not None:
        # English: whole words at the start (so "refund" matches "refunded", not "prefund").
        return plan.key in text and plan.english.search(text) is not None
    if plan.key in text:
        return True
    # Chinese: jieba's words of the keyword, all present and close together in the text
    # ("无法登录" matches "登录一直无法成功").
    parts = plan.parts
    if len(parts) < 2 or not all(part in text for part in parts):
        return False
    positions = ticket.positions
    found = [positions.get(part, ()) for part in parts]
    if not all(found):
        return False
    span = len(parts) + 3
    return any(all(any(abs(i - j) <= span for j in other) for other in found) for i in found[0])


# Every rule of one ticket reads its text's positions; the next ticket has another text.
@lru_cache(maxsize=64)
def word_positions(text: str) -> Mapping[str, tuple[int, ...]]:
    """Where each of a text's jieba words stands, once per text for all keywords."""
    found: dict[str, list[int]] = {}
    for i, word in enumerate(segment(text)):
        found.setdefault(word, []).append(i)
    return {word: tuple(at) for word, at in found.items()}


@lru_cache(maxsize=4096)
def _pattern(pattern: str, flags: int = re.IGNORECASE) -> re.Pattern[str]:
    return re.compile(pattern, flags)


@dataclass(frozen=True)
class _TextPlan:
    """A rule's text condition, compiled once per rule (the rule set in force is kept
    across batches, so once per rule-set version)."""

    keywords: tuple[tuple[str, _KeywordPlan], ...]  # as written, and how it is looked for
    patterns: tuple[tuple[str, re.Pattern[str]], ...]
    # One substring each keyword needs in the text to match at all (an English keyword
    # itself; a Chinese one's longest word, in the keyword and in each of its spellings):
    # most rules fire on no ticket, and one search turns them away at once.
    anchors: re.Pattern[str] | None


def _anchor(plan: _KeywordPlan) -> str:
    if plan.english is None and len(plan.parts) >= 2:
        return max(plan.parts, key=len)
    return plan.key


# Rules hold a mapping (their metadata condition), so they cannot be hashed: plans are
# kept by identity, with the rule itself so its id is not reused while the plan is kept.
_PLANS: dict[int, tuple[Rule, _TextPlan]] = {}
_MAX_PLANS = 2048


def _text_plan(rule: Rule) -> _TextPlan:
    kept = _PLANS.get(id(rule))
    if kept is not None and kept[0] is rule:
        return kept[1]
    cond = rule.conditions
    keywords = tuple((k, p) for k in cond.keywords if (p := _keyword_plan(k)).key)
    anchors = sorted({_anchor(p) for _, p in keywords}, key=len, reverse=True)
    plan = _TextPlan(
        keywords,
        tuple((p, _pattern(p)) for p in cond.patterns),
        re.compile("|".join(map(re.escape, anchors))) if anchors else None,
    )
    if len(_PLANS) >= _MAX_PLANS:  # rule sets tried out by the API, not the one in force
        _PLANS.clear()
    _PLANS[id(rule)] = (rule, plan)
    return plan


def _metadata_matches(expected: Mapping[str, tuple[str, ...]], metadata: Mapping[str, Any]) -> bool:
    for key, values in expected.items():
        actual = metadata.get(key)
        if actual is None or str(actual).lower() not in {v.lower() for v in values}:
            return False
    return True


@dataclass
class RuleMatch:
    rule: Rule
    keywords: list[str]
    reasons: list[str]


def match_rule(rule: Rule, ticket: TicketText) -> RuleMatch | None:
    """Whether ``rule`` fires on ``ticket``, and on what."""
    if not rule.enabled:
        return None
    cond = rule.conditions
    reasons: list[str] = []
    hits: list[str] = []
    if cond.keywords or cond.patterns:
        # The text condition: any keyword or any pattern.
        plan = _text_plan(rule)
        text = ticket.text
        if plan.anchors is not None and plan.anchors.search(text) is not None:
            hits = [k for k, p in plan.keywords if _keyword_matches(p, ticket)]
        pattern = next((p for p, c in plan.patterns if c.search(text)), None)
        if not hits and pattern is None:
            return None
        reasons.append(f"keyword '{hits[0]}'" if hits else f"pattern /{pattern}/")
    if cond.channels:
        if ticket.channel not in cond.channels:
            return None
        reasons.append(f"channel {ticket.channel}")
    if cond.customer_types:
        if ticket.customer_type not in cond.customer_types:
            return None
        reasons.append(f"customer type {ticket.customer_type}")
    if cond.scenes:
        if ticket.metadata.get("scene") not in cond.scenes:
            return None
        reasons.append(f"scene {ticket.metadata.get('scene')}")
    if cond.metadata:
        if not _metadata_matches(cond.metadata, ticket.metadata):
            return None
        reasons.append("metadata " + ", ".join(f"{k}={ticket.metadata[k]}" for k in cond.metadata))
    return RuleMatch(rule, hits, reasons)


# --------------------------------------------------------------------------- question guard

_CLAUSE_END = re.compile(r"[,,。.!!??;;\n]")


def _first_cue(patterns: tuple[str, ...], text: str) -> str | None:
    for pattern in patterns:
        found = _pattern(pattern).search(text)
        if found is not None:
            return found.group(0)
    return None


def _unasked_cue(cues: tuple[str, ...], question_cues: tuple[str, ...], text: str) -> str | None:
    """The first of ``cues`` found in the text that is not itself asked about: a question
    cue in its clause up to the cue's end (万一着火了, 会不会登录不了, 听说…被盗刷) makes it
    part of the question."""
    for pattern in cues:
        for found in _pattern(pattern).finditer(text):
            clause_start = max(
                (c.end() for c in _CLAUSE_END.finditer(text, 0, found.start())), default=0
            )
            if _first_cue(question_cues, text[clause_start : found.end()]) is None:
                return found.group(0)
    return None


@dataclass(frozen=True)
class GuardVerdict:
    """What the question guard read: its question cue, and the real event that
    overrides it (None: the guard holds the P0 rules back)."""

    question: str
    real_event: str | None

    @property
    def holds(self) -> bool:
        return self.real_event is None


def question_guard(mods: PriorityModifiers, text: str) -> GuardVerdict | None:
    """None when the text asks or takes care of nothing (or the rule set has no guard)."""
    question = _first_cue(mods.question_cues, text)
    if question is None:
        return None
    return GuardVerdict(question, _unasked_cue(mods.real_event_cues, mods.question_cues, text))


@dataclass
class Classification:
    category: str = "inquiry"
    scene: str = "pre_sale"
    priority: str = "P2"
    team: str = "frontline"
    skill: str | None = None
    tags: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    explanation: list[str] = field(default_factory=list)
    fired_rules: list[str] = field(default_factory=list)
    decided_by: str | None = None
    rule_version: int = 0
    # Set when no rule decided and the classifier did.
    model_version: int | None = None
    confidence: float | None = None
    needs_review: bool = False


def raise_priority(priority: str) -> str:
    index = PRIORITY_ORDER.index(priority)
    return PRIORITY_ORDER[max(index - 1, 0)]


def evaluate(
    ruleset: RuleSet,
    ticket: TicketText,
    model: LinearModel | None = None,
    review_below: float | None = None,
) -> Classification:
    """Run the rule set on one ticket, then the model where no rule decided; the result
    explains itself."""
    matches = [m for m in (match_rule(rule, ticket) for rule in ruleset.rules) if m is not None]
    held: list[RuleMatch] = []
    guard = (
        question_guard(ruleset.modifiers, ticket.text)
        if any(m.rule.actions.priority == "P0" for m in matches)
        else None
    )
    if guard is not None and guard.holds:
        held = [m for m in matches if m.rule.actions.priority == "P0"]
        matches = [m for m in matches if m.rule.actions.priority != "P0"]
    default = ruleset.default
    result = Classification(
        category=default.category,
        scene=default.scene,
        priority=default.priority,
        team=default.team,
        skill=default.skill,
        rule_version=ruleset.version,
    )
    if guard is not None:
        result.explanation.append(_guard_explanation(guard, held))
    if matches:
        best = matches[0]  # rules are tried in order: the first that fires decides
        act = best.rule.actions
        result.category, result.scene, result.priority = act.category, act.scene, act.priority
        result.team, result.skill = act.team, act.skill
        result.decided_by = best.rule.rule_id
        result.fired_rules = [m.rule.rule_id for m in matches]
        result.keywords = list(dict.fromkeys(k for m in matches for k in m.keywords))
        result.tags = list(dict.fromkeys(t for m in matches for t in m.rule.actions.tags))
        for m in matches:
            hit = m.keywords[0] if m.keywords else None
            what = f"'{hit}'" if hit and len(m.reasons) == 1 else " and ".join(m.reasons)
            result.explanation.append(f"rule {m.rule.rule_id} matched {what}")
        result.explanation.append(
            f"rule {best.rule.rule_id} decided: {act.category} {act.priority} → {act.team}"
        )
    elif model is not None:
        verdict = model_verdict(model, ticket.text, review_below or REVIEW_BELOW)
        result.category, result.scene, result.priority = (
            verdict.category,
            verdict.scene,
            verdict.priority,
        )
        result.team, result.skill = verdict.team, None
        result.model_version, result.confidence = verdict.version, verdict.confidence
        result.needs_review = verdict.needs_review
        result.explanation.append("no rule matched")
        result.explanation.extend(verdict.explanation)
        if result.priority == "P0":
            # The model reads the same alarming words the P0 rules do.
            guard = guard or question_guard(ruleset.modifiers, ticket.text)
            if guard is not None and guard.holds:
                result.explanation.append(
                    f"question guard: '{guard.question}' asks or takes care before anything "
                    "happened and no real event is said: the model's P0 → P1"
                )
                result.priority = "P1"
    else:
        result.explanation.append(
            f"no rule matched: default {default.category} {default.priority} → {default.team}"
        )
    mods = ruleset.modifiers
    text = ticket.text
    emergency = (
        _unasked_cue(mods.emergency_cues, mods.question_cues, text)
        if result.priority != "P0"
        else None
    )
    if emergency is not None:
        _emergency_said(result, mods, text, emergency)
    taken = next((k for k in mods.money_taken_keywords if k.lower() in text), None)
    if taken is not None and result.priority == "P2":
        _raise(result, f"money already taken '{taken}'")
    wide = next((k for k in mods.wide_impact_keywords if k.lower() in text), None) or next(
        (
            said.group(0)
            for said in (_pattern(p, 0).search(text) for p in mods.wide_impact_patterns)
            if said
        ),
        None,
    )
    if wide is not None:
        _raise(result, f"wide impact '{wide}'")
    else:
        count = _as_int(ticket.metadata.get(mods.wide_impact_metadata_key))
        if count is not None and count >= mods.wide_impact_threshold:
            _raise(result, f"wide impact {mods.wide_impact_metadata_key}={count}")
    if mods.vip_raises and ticket.customer_type == "vip":
        _raise(result, "VIP customer")
    if ruleset.version:
        result.explanation.append(f"rule set version {ruleset.version}")
    return result


def _emergency_said(
    result: Classification, mods: PriorityModifiers, text: str, emergency: str
) -> None:
    """A body harmed, a person threatened or trapped, money taken by someone else: P0 in
    any category (SPEC: personal safety, fraud), unless the question guard holds."""
    guard = question_guard(mods, text)
    if guard is not None and guard.holds:
        result.explanation.append(
            f"question guard: '{guard.question}' asks or takes care before anything "
            f"happened: '{emergency}' stays {result.priority}"
        )
        return
    result.explanation.append(
        f"emergency said '{emergency}' (personal safety or money taken by someone else): "
        f"{result.priority} → P0"
    )
    result.priority = "P0"


def _guard_explanation(guard: GuardVerdict, held: list[RuleMatch]) -> str:
    if not guard.holds:
        return (
            f"question guard: '{guard.question}' asks, but '{guard.real_event}' says it "
            "happened: the P0 rules apply"
        )
    rules = ", ".join(
        f"{m.rule.rule_id} ('{m.keywords[0]}')" if m.keywords else m.rule.rule_id for m in held
    )
    return (
        f"question guard: '{guard.question}' asks or takes care before anything happened "
        f"and no real event is said: P0 rule {rules} held back"
    )


def _as_int(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


def _raise(result: Classification, reason: str) -> None:
    raised = raise_priority(result.priority)
    if raised != result.priority:
        result.explanation.append(f"{reason}: {result.priority} → {raised}")
        result.priority = raised


def classify(
    subject: str,
    description: str,
    customer_type: str = "new",
    *,
    channel: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    ruleset: RuleSet | None = None,
    model: LinearModel | None = None,
) -> Classification:
    """Classify a text with a rule set (the default rules when none is given), then with
    ``model`` where no rule decides (rules alone when none is given)."""
    ticket = TicketText(subject, description, channel, customer_type, metadata or {})
    return evaluate(ruleset or DEFAULT_RULESET, ticket, model)
