"""Every text the customer receives, as editable templates: the built-in wording (the
seeds' phrasing, full-width punctuation in Chinese), which placeholders each may use,
and how a template is chosen (per language and channel) and rendered. No I/O."""

from __future__ import annotations

import math
import string
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any, Literal

from services.intake.domain import Language

# Where a text goes: "any" is the fallback for every channel.
ChannelFamily = Literal["any", "sms", "email", "chat"]
CHANNEL_FAMILIES: tuple[ChannelFamily, ...] = ("any", "sms", "email", "chat")


@dataclass(frozen=True)
class TemplateSpec:
    key: str
    name: str  # what a team lead calls it
    params: tuple[str, ...]
    texts: dict[Language, str]
    sample: dict[str, str] = field(default_factory=dict)


_TICKET = {"ticket_no": "T20261201-000123"}
_MACRO_PARAMS = ("ticket_no", "agent", "subject", "order_no", "team")
_MACRO_SAMPLE = {
    **_TICKET,
    "agent": "王芳",
    "subject": "账号无法登录",
    "order_no": "SO20261122001",
    "team": "技术支持",
}

TEMPLATES: dict[str, TemplateSpec] = {
    spec.key: spec
    for spec in (
        TemplateSpec(
            "acknowledgement",
            "需求受理通知",
            ("ticket_no",),
            {
                "zh": "您好，您的需求已受理，工单号 {ticket_no}。我们会尽快安排专人处理，"
                "请留意后续通知。",
                "en": "Hello, we have received your request, ticket {ticket_no}. "
                "A specialist will be assigned shortly; watch for our next update.",
            },
            _TICKET,
        ),
        TemplateSpec(
            "assignment_notice",
            "派单通知",
            ("ticket_no", "team", "when"),
            {
                "zh": "您的需求（工单号 {ticket_no}）已提交至{team}团队，预计{when}前反馈。",
                "en": "Your request {ticket_no} has been passed to our {team} team; "
                "expect a reply by {when}.",
            },
            {**_TICKET, "team": "技术", "when": "今日17:00"},
        ),
        TemplateSpec(
            "assignment_notice_no_deadline",
            "派单通知（无时限）",
            ("ticket_no", "team"),
            {
                "zh": "您的需求（工单号 {ticket_no}）已提交至{team}团队，我们会尽快反馈。",
                "en": "Your request {ticket_no} has been passed to our {team} team; "
                "we will get back to you soon.",
            },
            {**_TICKET, "team": "技术"},
        ),
        TemplateSpec(
            "progress_update",
            "进度同步",
            ("ticket_no", "note"),
            {
                "zh": "工单 {ticket_no} 最新进展：{note}",
                "en": "Update on ticket {ticket_no}: {note}",
            },
            {**_TICKET, "note": "您的维修订单已反馈至工厂，预计3个工作日内完成。"},
        ),
        TemplateSpec(
            "visit",
            "上门服务通知",
            ("ticket_no", "within_hours", "from", "until", "note"),
            {
                "zh": "您好，我们将在{within_hours}小时内安排工程师上门（工单号 {ticket_no}，"
                "预约时间{from}至{until}），请您保持电话畅通。{note}",
                "en": "Hello, an engineer will visit within {within_hours} hours "
                "(ticket {ticket_no}, between {from} and {until}); please keep your "
                "phone on. {note}",
            },
            {
                **_TICKET,
                "within_hours": "48",
                "from": "12月2日09:00",
                "until": "12月3日18:00",
                "note": "",
            },
        ),
        TemplateSpec(
            "extension",
            "处理时限调整通知",
            ("ticket_no", "when"),
            {
                "zh": "您好，工单 {ticket_no} 的处理时间已调整，预计{when}前反馈，"
                "给您带来不便，敬请谅解。",
                "en": "Hello, the time for ticket {ticket_no} has changed; expect a reply "
                "by {when}. We apologise for the inconvenience.",
            },
            {**_TICKET, "when": "明日12:00"},
        ),
        TemplateSpec(
            "resolution",
            "处理结果通知",
            ("ticket_no", "reply", "days"),
            {
                "zh": "您的工单 {ticket_no} 已处理：{reply}如问题已解决，请回复“已解决”；"
                "如仍未解决，请回复“未解决”，我们将继续为您处理。"
                "{days}天内未收到回复，工单将自动关闭。",
                "en": "Your ticket {ticket_no} has been handled: {reply} If it is solved, "
                'reply "solved"; if not, reply "not solved" and we will keep working on it. '
                "Without a reply the ticket closes in {days} days.",
            },
            {**_TICKET, "reply": "已为您重置密码。", "days": "3"},
        ),
        TemplateSpec(
            "confirmation",
            "结果确认通知",
            ("ticket_no",),
            {
                "zh": "感谢您的确认，工单 {ticket_no} 已关闭。如有其他问题，欢迎随时联系我们。",
                "en": "Thank you for confirming; ticket {ticket_no} is closed. "
                "Contact us any time if you need more help.",
            },
            _TICKET,
        ),
        TemplateSpec(
            "auto_close",
            "自动关闭通知",
            ("ticket_no", "days", "reopen_days"),
            {
                "zh": "您好，工单 {ticket_no} 在{days}天内未收到您的回复，已自动关闭。"
                "如问题仍未解决，请在{reopen_days}天内回复本消息，我们将重新为您处理。",
                "en": "Hello, ticket {ticket_no} had no reply for {days} days and is now "
                "closed. If the problem remains, reply within {reopen_days} days and we "
                "will pick it up again.",
            },
            {**_TICKET, "days": "3", "reopen_days": "7"},
        ),
        TemplateSpec(
            "survey",
            "满意度调查",
            ("ticket_no", "url", "days"),
            {
                "zh": "感谢您的耐心，请对工单 {ticket_no} 的服务进行评价：{url}",
                "en": "Thank you for your patience. Please rate our service on ticket "
                "{ticket_no}: {url}",
            },
            {**_TICKET, "url": "https://example.com/s/abc", "days": "3"},
        ),
        TemplateSpec(
            "callback",
            "回访预约通知",
            ("ticket_no", "when"),
            {
                "zh": "我们将于{when}回访您，了解工单 {ticket_no} 的处理结果，请您保持电话畅通。",
                "en": "We will call you back {when} about ticket {ticket_no}; "
                "please keep your phone on.",
            },
            {**_TICKET, "when": "明日10:00"},
        ),
        TemplateSpec(
            "suggestion_feedback",
            "建议反馈",
            ("ticket_no",),
            {
                "zh": "您的建议已同步至产品团队，后续优化进展将及时反馈。感谢您的支持（工单号 "
                "{ticket_no}）。",
                "en": "Your suggestion has been passed to our product team; we will keep "
                "you posted on the improvements. Thank you (ticket {ticket_no}).",
            },
            _TICKET,
        ),
        TemplateSpec(
            "ticket_closed",
            "工单关闭通知",
            ("ticket_no",),
            {
                "zh": "工单 {ticket_no} 已关闭，感谢您的支持。",
                "en": "Ticket {ticket_no} is closed. Thank you.",
            },
            _TICKET,
        ),
        TemplateSpec(
            # The agent asks the caller for this code to verify them (seed 000: 短信验证码
            # 确认身份), so the text says whom to give it to rather than "never tell anyone".
            "verification_code",
            "短信验证码",
            ("code", "minutes"),
            {
                "zh": "您的验证码为{code}，{minutes}分钟内有效，仅用于本次客服身份核验，"
                "请只告知正在为您服务的客服专员。",
                "en": "Your verification code is {code}, valid for {minutes} minutes. "
                "It is only for verifying you on your current call with our service "
                "agent; give it to no one else.",
            },
            {"code": "123456", "minutes": "5"},
        ),
        # Canned replies (macros) an agent inserts into a reply: the seeds' scripts
        # (seed 000 问候与身份确认 and 结果反馈, seed 001 标准开场, 复述客户需求, 先致歉).
        TemplateSpec(
            "macro.greeting",
            "问候语",
            _MACRO_PARAMS,
            {
                "zh": "您好，客户服务中心，我是专员{agent}，很高兴为您服务，请问有什么可以帮您？",
                "en": "Hello, this is {agent} from the customer service centre, glad to help. "
                "How can I help you?",
            },
            _MACRO_SAMPLE,
        ),
        TemplateSpec(
            "macro.restate",
            "复述需求",
            _MACRO_PARAMS,
            {
                "zh": "跟您确认一下：您反馈的是“{subject}”，希望我们协助解决，对吗？",
                "en": "Let me make sure I understood: you are telling us about "
                '"{subject}" and would like us to help solve it, is that right?',
            },
            _MACRO_SAMPLE,
        ),
        TemplateSpec(
            "macro.apology",
            "致歉",
            _MACRO_PARAMS,
            {
                "zh": "给您带来不便非常抱歉，您的工单 {ticket_no} 我们会尽快为您处理。",
                "en": "We are very sorry for the inconvenience; we will handle your ticket "
                "{ticket_no} as quickly as we can.",
            },
            _MACRO_SAMPLE,
        ),
        TemplateSpec(
            "macro.result",
            "结果告知",
            _MACRO_PARAMS,
            {
                "zh": "您好，您反馈的“{subject}”问题已处理：【处理结果】。"
                "请问还有其他可以帮您的吗？",
                "en": 'Hello, the issue you reported ("{subject}") has been handled: '
                "[the result]. Is there anything else I can help you with?",
            },
            _MACRO_SAMPLE,
        ),
    )
}

# The canned replies, in the order an agent uses them.
MACROS: tuple[str, ...] = tuple(key for key in TEMPLATES if key.startswith("macro."))


class TemplateError(ValueError):
    """A template body that cannot be used: bad braces or an unknown placeholder."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def placeholders(body: str) -> set[str]:
    """The ``{name}`` placeholders of a body; TemplateError when the braces are wrong."""
    try:
        parsed = list(string.Formatter().parse(body))
    except ValueError as exc:
        raise TemplateError("invalid_template", f"template: {exc}") from exc
    names = set()
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise TemplateError(
                "invalid_template", f"template: placeholder {{{name}}} must be a plain name"
            )
        names.add(name)
    return names


def check_body(key: str, body: str) -> None:
    """Refuse a body that uses placeholders its template is never given."""
    unknown = placeholders(body) - set(TEMPLATES[key].params)
    if unknown:
        allowed = ", ".join(f"{{{p}}}" for p in TEMPLATES[key].params)
        raise TemplateError(
            "unknown_placeholder",
            f"template {key}: unknown placeholder(s) {sorted(unknown)}; allowed: {allowed}",
        )


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def fill(body: str, params: dict[str, Any]) -> str:
    return body.format_map(_Blank({k: "" if v is None else str(v) for k, v in params.items()}))


def channel_family(channel: str) -> ChannelFamily:
    """``sms`` / ``email`` / ``chat`` for a gateway channel (``social:wechat`` is chat)."""
    if channel == "sms":
        return "sms"
    if channel == "email":
        return "email"
    return "chat"


@dataclass(frozen=True)
class TemplateVersion:
    key: str
    language: Language
    channel: ChannelFamily
    version: int  # 0: the built-in text
    body: str


@dataclass
class TemplateBook:
    """The texts in force: the newest stored version per (key, language, channel),
    falling back to the template's "any" channel version and then to the built-in text."""

    current: dict[tuple[str, str, str], TemplateVersion] = field(default_factory=dict)

    def version_for(self, key: str, language: Language, channel: ChannelFamily) -> TemplateVersion:
        for family in (channel, "any"):
            found = self.current.get((key, language, family))
            if found is not None:
                return found
        return TemplateVersion(key, language, "any", 0, TEMPLATES[key].texts[language])

    def render(
        self, key: str, language: Language, channel: ChannelFamily, params: dict[str, Any]
    ) -> str:
        return fill(self.version_for(key, language, channel).body, params).strip()


BUILT_IN = TemplateBook()


def with_signature(body: str, channel: ChannelFamily, signature: str) -> str:
    """An SMS starts with the registered signature (China's SMS rules require one)."""
    if channel != "sms" or not signature or body.startswith(signature):
        return body
    return f"{signature}{body}"


# --------------------------------------------------------------------------- times


def date_time_text(at: datetime, tz: tzinfo, language: Language) -> str:
    """'12月3日14:00' / 'Dec 3 14:00' in the display zone."""
    local = at.astimezone(tz)
    if language == "zh":
        return f"{local.month}月{local.day}日{local:%H:%M}"
    return f"{local:%b} {local.day} {local:%H:%M}"


def when_text(due: datetime, now: datetime, tz: tzinfo, language: Language) -> str:
    """'今日17:00' / '明日09:30' / '11月25日09:00' (and the English equivalents) in the
    display zone. Only for a time still ahead: a past deadline promises nothing."""
    local_due, local_now = due.astimezone(tz), now.astimezone(tz)
    days = (local_due.date() - local_now.date()).days
    clock = f"{local_due:%H:%M}"
    if language == "zh":
        if days == 0:
            return f"今日{clock}"
        if days == 1:
            return f"明日{clock}"
        return date_time_text(due, tz, language)
    if days == 0:
        return f"{clock} today"
    if days == 1:
        return f"{clock} tomorrow"
    return f"{clock} on {local_due:%b} {local_due.day}"


def hours_until(until: datetime, now: datetime) -> int:
    """Whole hours from now to the end of a window, rounded up (a 48 h window says 48)."""
    return max(1, math.ceil((until - now).total_seconds() / 3600 - 1e-6))


def sentence(text: str) -> str:
    """A free text that ends like a sentence, so the template's next words do not run on."""
    text = text.strip()
    if not text or text[-1] in "。！？.!?；;":
        return text
    return text + ("。" if any("\u4e00" <= ch <= "\u9fff" for ch in text) else ".")
