"""The workspace's words: Chinese first (zh-CN), English by the language switch.

``CATALOGUE`` maps a key to its zh-CN and English text; ``{name}`` placeholders are
filled with ``str.format``. A key missing in English falls back to Chinese, a key missing
altogether shows as itself (a test checks that every key a template uses is here).
Other modules (the supervisor and admin screens) add their words with ``add_words``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

LANGUAGES = ("zh-CN", "en")
LANGUAGE_COOKIE = "sopdesk_lang"

CATALOGUE: dict[str, dict[str, str]] = {
    "app.name": {"zh-CN": "sopdesk 工作台", "en": "sopdesk workspace"},
    "nav.my_work": {"zh-CN": "我的工作", "en": "My work"},
    "nav.search": {"zh-CN": "搜索", "en": "Search"},
    "search.placeholder": {
        "zh-CN": "工单号、电话、邮箱、订单号或关键词（按 / ）",
        "en": "Ticket no., phone, e-mail, order no. or words (press /)",
    },
    "nav.sign_out": {"zh-CN": "退出", "en": "Sign out"},
    "nav.language": {"zh-CN": "English", "en": "中文"},
    "nav.shortcuts": {"zh-CN": "快捷键", "en": "Shortcuts"},
    "nav.skip": {"zh-CN": "跳到内容", "en": "Skip to content"},
    "role.agent": {"zh-CN": "客服", "en": "Agent"},
    "role.supervisor": {"zh-CN": "客服主管", "en": "Supervisor"},
    "role.admin": {"zh-CN": "管理员", "en": "Admin"},
    "role.viewer": {"zh-CN": "只读", "en": "Viewer"},
    # sign-in
    "signin.title": {"zh-CN": "登录", "en": "Sign in"},
    "signin.login": {"zh-CN": "账号", "en": "Login"},
    "signin.password": {"zh-CN": "密码", "en": "Password"},
    "signin.submit": {"zh-CN": "登录", "en": "Sign in"},
    "signin.signed_out": {"zh-CN": "您已退出。", "en": "You are signed out."},
    "signin.expired": {
        "zh-CN": "登录已过期，请重新登录。",
        "en": "Your session ended; sign in again.",
    },
    "error.invalid_credentials": {"zh-CN": "账号或密码不正确。", "en": "Wrong login or password."},
    "error.account_disabled": {"zh-CN": "账号已停用。", "en": "This account is disabled."},
    "error.password_change_required": {
        "zh-CN": "首次登录或密码已重置：请先通过接口设置新密码。",
        "en": "First sign-in or reset: choose a new password first.",
    },
    "error.too_many_attempts": {
        "zh-CN": "尝试次数过多，请稍后再试。",
        "en": "Too many attempts; try again later.",
    },
    "error.required": {"zh-CN": "必填。", "en": "Required."},
    "error.too_long": {"zh-CN": "太长了（最多 {limit} 字）。", "en": "Too long (at most {limit})."},
    "error.csrf_failed": {
        "zh-CN": "页面已过期，请刷新后重试。",
        "en": "This page is out of date; reload it and try again.",
    },
    "error.service_unavailable": {
        "zh-CN": "服务暂时不可用（{service}），请稍后再试。",
        "en": "A service is unavailable ({service}); try again shortly.",
    },
    "error.stale_assignment": {
        "zh-CN": "此工单已被更新（可能是其他人或系统），请查看最新内容后再操作。",
        "en": "This ticket changed meanwhile; look at its latest state, then act again.",
    },
    "error.forbidden": {"zh-CN": "您无权执行此操作。", "en": "You may not do this."},
    "error.not_found": {"zh-CN": "找不到。", "en": "Not found."},
    "error.page_title": {"zh-CN": "出错了", "en": "Something went wrong"},
    # shortcuts help
    "shortcuts.title": {"zh-CN": "键盘快捷键", "en": "Keyboard shortcuts"},
    "shortcuts.search": {"zh-CN": "搜索", "en": "Search"},
    "shortcuts.my_work": {"zh-CN": "我的工作", "en": "My work"},
    "shortcuts.next": {"zh-CN": "下一条 / 上一条", "en": "Next / previous"},
    "shortcuts.open": {"zh-CN": "打开所选工单", "en": "Open the selected ticket"},
    "shortcuts.reply": {"zh-CN": "回复客户", "en": "Reply to the customer"},
    "shortcuts.note": {"zh-CN": "内部备注", "en": "Internal note"},
    "shortcuts.accept": {"zh-CN": "接单", "en": "Accept"},
    "shortcuts.resolve": {"zh-CN": "解决", "en": "Resolve"},
    "shortcuts.send": {"zh-CN": "发送表单", "en": "Send the form"},
    "shortcuts.help": {"zh-CN": "显示本帮助", "en": "Show this help"},
    "shortcuts.close": {"zh-CN": "关闭", "en": "Close"},
    "live.connected": {"zh-CN": "实时", "en": "Live"},
    "live.disconnected": {"zh-CN": "连接中断，正在重连…", "en": "Reconnecting…"},
}


def add_words(words: Mapping[str, Mapping[str, str]]) -> None:
    """More keys (another module's screens); an existing key is not overwritten."""
    for key, texts in words.items():
        CATALOGUE.setdefault(key, dict(texts))


def choose_language(cookie: str | None, default: str) -> str:
    """The switch's cookie, else the configured default (zh-CN: Chinese first, whatever
    language the browser prefers)."""
    if cookie in LANGUAGES:
        return cookie
    return default if default in LANGUAGES else "zh-CN"


def translator(language: str) -> Callable[..., str]:
    def t(key: str, **values: Any) -> str:
        texts = CATALOGUE.get(key)
        if texts is None:
            return key
        text = texts.get(language) or texts.get("zh-CN") or key
        return text.format(**values) if values else text

    return t
