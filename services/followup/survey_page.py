"""The survey as a customer sees it on a phone: one small HTML page with a plain form
(no script, no external files), and the page that thanks them or says why the link
no longer works."""

from __future__ import annotations

from html import escape
from urllib.parse import parse_qs

from services.followup.schemas import SurveyQuestion

_STYLE = """
body{font-family:system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;
margin:0;background:#f5f6f8;color:#1f2328}
main{max-width:28rem;margin:0 auto;padding:1.25rem}
h1{font-size:1.25rem;margin:.5rem 0 1rem}
fieldset{border:0;background:#fff;border-radius:.75rem;margin:0 0 1rem;padding:1rem}
legend{font-weight:600;padding:0;margin-bottom:.5rem;float:left;width:100%}
label{display:inline-flex;align-items:center;gap:.35rem;margin:.35rem 1rem .35rem 0;
font-size:1.05rem}
input[type=radio]{width:1.25rem;height:1.25rem}
textarea{width:100%;box-sizing:border-box;min-height:5rem;font:inherit;padding:.5rem;
border:1px solid #d0d7de;border-radius:.5rem}
button{width:100%;padding:.85rem;font-size:1.1rem;border:0;border-radius:.75rem;
background:#1f6feb;color:#fff}
p.note{color:#57606a;font-size:.9rem}
p.ticket{color:#57606a;margin:-.5rem 0 1rem}
fieldset.scale label{flex-direction:column;gap:.15rem;margin-right:.6rem}
span.scale{font-size:.75rem;color:#57606a}
"""


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main><h1>{escape(title)}</h1>{body}</main></body></html>"
    )


def _question(question: SurveyQuestion) -> str:
    legend = f"<legend>{escape(question.text)}</legend>"
    required = " required" if question.required else ""
    if question.kind == "yes_no":
        choices = "".join(
            f'<label><input type="radio" name="{question.key}" value="{value}"{required}>'
            f"{text}</label>"
            for value, text in (("yes", "是"), ("no", "否"))
        )
        return f"<fieldset>{legend}{choices}</fieldset>"
    if question.kind == "scale":
        low, high = question.min or 1, question.max or 5
        labels = question.labels or {}
        choices = "".join(
            f'<label><input type="radio" name="{question.key}" value="{n}"{required}>{n}'
            + (f' <span class="scale">{escape(labels[str(n)])}</span>' if str(n) in labels else "")
            + "</label>"
            for n in range(low, high + 1)
        )
        return f'<fieldset class="scale">{legend}{choices}</fieldset>'

    return (
        f'<fieldset>{legend}<textarea name="{question.key}" maxlength="2000"></textarea></fieldset>'
    )


def survey_form(
    questions: list[SurveyQuestion], action: str, *, brand: str, ticket_no: str | None
) -> str:
    """The questions as a form that posts back to ``action`` (URL-encoded), under the
    brand and the ticket they are about."""
    fields = "".join(_question(q) for q in questions)
    about = f'<p class="ticket">工单号：{escape(ticket_no)}</p>' if ticket_no else ""
    return _page(
        f"{brand} 服务满意度调查",
        f'{about}<form method="post" action="{escape(action)}">{fields}'
        '<button type="submit">提交评价</button></form>'
        '<p class="note">此链接仅可使用一次。</p>',
    )


def message_page(title: str, message: str) -> str:
    """The thank-you page, or why the link can no longer be used."""
    return _page(title, f"<p>{escape(message)}</p>")


# Why a link no longer works, in the customer's words (by the API's error code).
_REFUSALS = {
    "survey_not_found": "此调查链接无效。",
    "survey_already_answered": "您已提交过评价，感谢您的反馈。",
    "survey_expired": "此调查链接已过期。",
    "survey_closed": "此调查已关闭，如仍有问题请联系客服。",
}


def refusal_page(code: str, message: str) -> str:
    return message_page("链接无法使用", _REFUSALS.get(code, message))


def read_form(body: bytes) -> dict[str, str]:
    """A URL-encoded form's fields (the first value of each), as the survey form sends them."""
    fields = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {key: values[0] for key, values in fields.items() if values}
