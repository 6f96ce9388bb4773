"""What the model decides when no rule did, and how it says why."""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.triage.classifier.model import ROUTE, LinearModel

# Below this confidence in category and team the ticket goes to front line, flagged
# for a supervisor's review (chosen on grouped cross-validation of the training split).
REVIEW_BELOW = 0.3
# A P0 missed costs a 24-hour wait on a safety or core-business problem; a P1 raised to
# P0 costs an early answer. So P0 wins well below an even chance.
P0_AT = 0.3
# A question with no failure in it ("忘记支付密码了怎么找回", "how do I reset my password")
# is never an emergency by itself, whatever words it shares with one.
_QUESTION = re.compile(
    r"(怎么|如何|怎样|在哪|能不能|可以.{0,10}吗|能.{0,10}吗|是否|多久|多少|哪些|什么时候"
    r"|how (do|can|long)|can i|do you|is there|which|what)",
    re.IGNORECASE,
)
_FAILURE = re.compile(
    r"(失败|不了|不上|进不去|崩|挂了|错误|报错|没反应|停机|坏|异常|危险|冒烟|着火|被盗|盗刷"
    r"|cannot|can't|unable|fail|error|down|declin|smok|fire|stolen)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ModelVerdict:
    category: str
    scene: str
    team: str
    priority: str
    confidence: float
    needs_review: bool
    version: int
    explanation: tuple[str, ...]


def model_verdict(
    model: LinearModel, text: str, review_below: float = REVIEW_BELOW
) -> ModelVerdict:
    predicted = model.predict(text)
    route, scene, priority = predicted[ROUTE], predicted["scene"], predicted["priority"]
    category, team = route.label.split("/", 1)
    level = priority.label
    if category == "fault" and level != "P0" and priority.probabilities.get("P0", 0.0) >= P0_AT:
        level = "P0"
    capped = level == "P0" and (
        category != "fault"
        or (_QUESTION.search(text) is not None and _FAILURE.search(text) is None)
    )
    if capped:
        # P0 is core use blocked or safety, a fault: a complaint, return or question is
        # not an emergency by itself (VIP and wide impact may still raise it below), and
        # the safety and outage rules, which run first, catch the ones that are.
        level = "P1"
    words = "、".join(route.evidence) or "—"
    explanation = [
        f"model v{model.version}: {category} → {team} ({route.confidence:.2f}; words {words}), "
        f"scene {scene.label} ({scene.confidence:.2f}), {level} "
        f"(P0 {priority.probabilities.get('P0', 0.0):.2f}; words "
        f"{'、'.join(priority.evidence) or '—'})"
    ]
    if capped:
        explanation.append("not a fault, or a question without a failure in it: P0 → P1")
    if level == "P2" and category in ("fault", "complaint", "after_sales"):
        # The seeds keep P2 for information, policy and suggestions; a defect, a
        # complaint or a return is at least P1.
        level = "P1"
        explanation.append(f"{category} is at least P1: P2 → P1")
    needs_review = route.confidence < review_below
    if needs_review:
        explanation.append(
            f"confidence {route.confidence:.2f} below {review_below:.2f}: front line, "
            f"needs review (model's guess {category} → {team})"
        )
        team = "frontline"
    return ModelVerdict(
        category=category,
        scene=scene.label,
        team=team,
        priority=level,
        confidence=round(route.confidence, 3),
        needs_review=needs_review,
        version=model.version,
        explanation=tuple(explanation),
    )
