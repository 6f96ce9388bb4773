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
    # my work
    "view.open": {"zh-CN": "全部未结", "en": "All open"},
    "view.new": {"zh-CN": "新分配", "en": "New"},
    "view.in_progress": {"zh-CN": "处理中", "en": "In progress"},
    "view.waiting": {"zh-CN": "等待客户", "en": "Waiting on customer"},
    "view.due_soon": {"zh-CN": "即将到期", "en": "Due soon"},
    "view.breached": {"zh-CN": "已超时", "en": "Breached"},
    "work.ticket": {"zh-CN": "工单号", "en": "Ticket"},
    "work.subject": {"zh-CN": "主题", "en": "Subject"},
    "work.priority": {"zh-CN": "优先级", "en": "Priority"},
    "work.state": {"zh-CN": "状态", "en": "State"},
    "work.time_left": {"zh-CN": "剩余时间", "en": "Time left"},
    "work.created": {"zh-CN": "创建于", "en": "Created"},
    "work.customer_replied": {"zh-CN": "客户新回复", "en": "Customer replied"},
    "work.paused": {"zh-CN": "已暂停", "en": "Paused"},
    "work.empty": {"zh-CN": "这里没有工单。", "en": "Nothing here."},
    "state.queued": {"zh-CN": "排队中", "en": "Queued"},
    "state.assigned": {"zh-CN": "待接单", "en": "Assigned"},
    "state.accepted": {"zh-CN": "处理中", "en": "In progress"},
    "state.waiting_on_customer": {"zh-CN": "等待客户", "en": "Waiting on customer"},
    "state.resolved": {"zh-CN": "已解决", "en": "Resolved"},
    "state.received": {"zh-CN": "已受理", "en": "Received"},
    "state.triaged": {"zh-CN": "已分类", "en": "Triaged"},
    "state.in_progress": {"zh-CN": "处理中", "en": "In progress"},
    "state.waiting": {"zh-CN": "等待客户", "en": "Waiting on customer"},
    "state.reopened": {"zh-CN": "重新打开", "en": "Reopened"},
    "state.confirmed": {"zh-CN": "客户已确认", "en": "Confirmed"},
    "state.closed": {"zh-CN": "已关闭", "en": "Closed"},
    "search.none": {"zh-CN": "没有找到工单。", "en": "No tickets found."},
    # the ticket page
    "ticket.thread": {"zh-CN": "沟通记录", "en": "Conversation"},
    "ticket.thread_empty": {"zh-CN": "暂无记录。", "en": "Nothing yet."},
    "ticket.team": {"zh-CN": "团队", "en": "Team"},
    "ticket.order_no": {"zh-CN": "订单号", "en": "Order"},
    "ticket.escalated": {"zh-CN": "已升级", "en": "Escalated"},
    "ticket.no_assignment": {"zh-CN": "此工单尚未分配。", "en": "This ticket is not assigned."},
    "ticket.closed_for_actions": {
        "zh-CN": "工单已解决，无需操作。",
        "en": "The ticket is resolved; nothing to do.",
    },
    "ticket.actions": {"zh-CN": "操作", "en": "Actions"},
    "ticket.macros": {"zh-CN": "常用话术", "en": "Canned replies"},
    "ticket.kb": {"zh-CN": "知识库建议", "en": "Knowledge base"},
    "ticket.insert": {"zh-CN": "插入回复", "en": "Insert into reply"},
    "ticket.part_missing": {
        "zh-CN": "部分内容暂不可用（{service}）",
        "en": "Part of this page is unavailable ({service})",
    },
    "ticket.customer_missing": {
        "zh-CN": "客户资料暂不可用。",
        "en": "Customer profile unavailable.",
    },
    "thread.customer": {"zh-CN": "客户", "en": "Customer"},
    "thread.system": {"zh-CN": "系统", "en": "System"},
    "kind.description": {"zh-CN": "问题描述", "en": "Description"},
    "kind.message": {"zh-CN": "客户留言", "en": "Message"},
    "kind.notice": {"zh-CN": "已发送给客户", "en": "Sent to customer"},
    "kind.assigned": {"zh-CN": "已分配", "en": "Assigned"},
    "kind.queued": {"zh-CN": "排队", "en": "Queued"},
    "kind.accepted": {"zh-CN": "已接单", "en": "Accepted"},
    "kind.internal_note": {"zh-CN": "内部备注", "en": "Internal note"},
    "kind.public_reply": {"zh-CN": "回复客户", "en": "Reply"},
    "kind.collaborator_request": {"zh-CN": "请求协助", "en": "Asked a collaborator"},
    "kind.collaborator_answer": {"zh-CN": "协助答复", "en": "Collaborator answered"},
    "kind.waiting": {"zh-CN": "等待客户", "en": "Waiting on customer"},
    "kind.resumed": {"zh-CN": "恢复处理", "en": "Resumed"},
    "kind.visit_booked": {"zh-CN": "已预约上门", "en": "Visit booked"},
    "kind.transferred": {"zh-CN": "已转派", "en": "Transferred"},
    "kind.escalated": {"zh-CN": "已升级", "en": "Escalated"},
    "kind.resolved": {"zh-CN": "已解决", "en": "Resolved"},
    "kind.reopened": {"zh-CN": "重新打开", "en": "Reopened"},
    "kind.reassigned": {"zh-CN": "已改派", "en": "Reassigned"},
    "kind.taken_over": {"zh-CN": "主管接手", "en": "Taken over"},
    "kind.customer_replied": {"zh-CN": "客户回复", "en": "Customer replied"},
    "kind.compensation_requested": {"zh-CN": "申请补偿", "en": "Compensation requested"},
    "kind.compensation_approved": {"zh-CN": "补偿已批准", "en": "Compensation approved"},
    "kind.compensation_rejected": {"zh-CN": "补偿被驳回", "en": "Compensation rejected"},
    "kind.extension_requested": {"zh-CN": "申请延期", "en": "More time requested"},
    "kind.extension_granted": {"zh-CN": "延期已批准", "en": "More time granted"},
    "kind.extension_refused": {"zh-CN": "延期被拒绝", "en": "More time refused"},
    "channel.phone": {"zh-CN": "电话", "en": "Phone"},
    "channel.email": {"zh-CN": "邮件", "en": "E-mail"},
    "channel.web_chat": {"zh-CN": "在线客服", "en": "Web chat"},
    "channel.web": {"zh-CN": "网站", "en": "Web"},
    "channel.app": {"zh-CN": "App", "en": "App"},
    "channel.sms": {"zh-CN": "短信", "en": "SMS"},
    "channel.wechat": {"zh-CN": "微信", "en": "WeChat"},
    "channel.mini_program": {"zh-CN": "小程序", "en": "Mini program"},
    "channel.social": {"zh-CN": "社交媒体", "en": "Social media"},
    "channel.store": {"zh-CN": "门店", "en": "Store"},
    "clock.response": {"zh-CN": "首次响应", "en": "First response"},
    "clock.resolution": {"zh-CN": "解决时限", "en": "Resolution"},
    "clock.update": {"zh-CN": "进展更新", "en": "Update"},
    "clock.running": {"zh-CN": "计时中", "en": "Running"},
    "clock.paused": {"zh-CN": "已暂停", "en": "Paused"},
    "clock.met": {"zh-CN": "已达成", "en": "Met"},
    "clock.breached": {"zh-CN": "已超时", "en": "Breached"},
    # actions
    "action.accept": {"zh-CN": "接单", "en": "Accept"},
    "action.resume": {"zh-CN": "恢复处理", "en": "Resume"},
    "action.reply": {"zh-CN": "回复客户", "en": "Reply to the customer"},
    "action.reply_send": {"zh-CN": "发送回复", "en": "Send reply"},
    "action.note": {"zh-CN": "内部备注", "en": "Internal note"},
    "action.note_send": {"zh-CN": "保存备注", "en": "Save note"},
    "action.collaborate": {"zh-CN": "请求协助", "en": "Ask a collaborator"},
    "action.waiting": {"zh-CN": "等待客户回复", "en": "Wait on the customer"},
    "action.transfer": {"zh-CN": "转派", "en": "Transfer"},
    "action.escalate": {"zh-CN": "升级给主管", "en": "Escalate"},
    "action.compensation": {"zh-CN": "申请补偿", "en": "Request compensation"},
    "action.visit": {"zh-CN": "预约上门", "en": "Book a visit"},
    "action.extension": {"zh-CN": "申请延期", "en": "Request more time"},
    "action.resolve": {"zh-CN": "解决工单", "en": "Resolve"},
    "action.answer": {"zh-CN": "答复协助请求", "en": "Answer the request"},
    "field.answer": {"zh-CN": "您的答复（仅内部可见）", "en": "Your answer (internal)"},
    "done.answer": {"zh-CN": "答复已保存。", "en": "Answer saved."},
    "field.reply": {"zh-CN": "回复内容（客户可见）", "en": "Reply (the customer sees it)"},
    "field.note": {"zh-CN": "备注（仅内部可见）", "en": "Note (internal only)"},
    "field.collaborator": {"zh-CN": "同事或团队", "en": "Colleague or team"},
    "field.question": {"zh-CN": "需要协助的问题", "en": "What you need"},
    "field.waiting_note": {
        "zh-CN": "告诉客户需要什么（可选）",
        "en": "What you need from the customer (optional)",
    },
    "field.to_team": {"zh-CN": "转给团队", "en": "To team"},
    "field.reason": {"zh-CN": "原因", "en": "Reason"},
    "field.kind": {"zh-CN": "补偿类型", "en": "Kind"},
    "field.amount": {"zh-CN": "金额（元；延保为天数）", "en": "Amount (CNY; days for a warranty)"},
    "field.window_start": {"zh-CN": "上门时间从", "en": "Window from"},
    "field.window_end": {"zh-CN": "到", "en": "Until"},
    "field.extra_minutes": {"zh-CN": "延长分钟数", "en": "Extra minutes"},
    "field.resolution_code": {"zh-CN": "解决代码", "en": "Resolution code"},
    "field.public_reply": {"zh-CN": "给客户的答复", "en": "Public reply"},
    "field.reveal_reason": {"zh-CN": "查看原因（将被记录）", "en": "Why (recorded)"},
    "compensation.coupon": {"zh-CN": "优惠券", "en": "Coupon"},
    "compensation.refund": {"zh-CN": "退款", "en": "Refund"},
    "compensation.extended_warranty": {"zh-CN": "延长保修", "en": "Extended warranty"},
    "compensation.free_repair": {"zh-CN": "免费维修", "en": "Free repair"},
    "done.accept": {"zh-CN": "已接单。", "en": "Accepted."},
    "done.resume": {"zh-CN": "已恢复处理。", "en": "Resumed."},
    "done.reply": {"zh-CN": "回复已发送。", "en": "Reply sent."},
    "done.note": {"zh-CN": "备注已保存。", "en": "Note saved."},
    "done.collaborate": {"zh-CN": "已请求协助。", "en": "Collaborator asked."},
    "done.waiting": {"zh-CN": "已转为等待客户。", "en": "Waiting on the customer."},
    "done.transfer": {"zh-CN": "已转派。", "en": "Transferred."},
    "done.escalate": {"zh-CN": "已升级给主管。", "en": "Escalated."},
    "done.compensation": {"zh-CN": "补偿申请已提交。", "en": "Compensation requested."},
    "done.visit": {"zh-CN": "上门已预约。", "en": "Visit booked."},
    "done.extension": {"zh-CN": "延期申请已提交主管。", "en": "More time requested."},
    "done.resolve": {"zh-CN": "工单已解决。", "en": "Resolved."},
    "done.reveal": {
        "zh-CN": "联系方式已显示（此次查看已记录）。",
        "en": "Contact shown (this is recorded).",
    },
    "error.no_assignment": {"zh-CN": "此工单没有可操作的分配。", "en": "No assignment to act on."},
    "error.check_fields": {"zh-CN": "请检查标出的字段。", "en": "Check the marked fields."},
    "error.number": {"zh-CN": "请输入有效的数字。", "en": "Enter a valid number."},
    "error.choose": {"zh-CN": "请从列表中选择。", "en": "Choose one from the list."},
    "error.when": {"zh-CN": "请输入有效的时间。", "en": "Enter a valid time."},
    "error.window": {"zh-CN": "结束时间须晚于开始时间。", "en": "The end must be after the start."},
    "error.code": {
        "zh-CN": "只能用小写字母、数字和 _ . -，以字母开头。",
        "en": "Lower-case letters, digits and _ . - only, starting with a letter.",
    },
    "error.reason": {
        "zh-CN": "请写明原因（至少 2 个字）。",
        "en": "Say why (at least 2 characters).",
    },
    "error.not_your_assignment": {"zh-CN": "这不是您的工单。", "en": "This is not your ticket."},
    "error.invalid_state": {
        "zh-CN": "工单当前状态不允许此操作。",
        "en": "Not possible in the ticket's state.",
    },
    # the customer
    "customer.title": {"zh-CN": "客户", "en": "Customer"},
    "customer.name": {"zh-CN": "姓名", "en": "Name"},
    "customer.type": {"zh-CN": "客户类型", "en": "Type"},
    "customer.member_id": {"zh-CN": "会员号", "en": "Member"},
    "customer.contact": {"zh-CN": "联系方式", "en": "Contact"},
    "customer.reveal": {"zh-CN": "查看完整联系方式", "en": "Reveal a contact"},
    "customer.reveal_audited": {
        "zh-CN": "查看会记录查看人、时间和原因。",
        "en": "Who, when and why is recorded.",
    },
    "customer.history": {"zh-CN": "历史工单", "en": "Earlier tickets"},
    "customer_type.new": {"zh-CN": "新客户", "en": "New"},
    "customer_type.returning": {"zh-CN": "老客户", "en": "Returning"},
    "customer_type.vip": {"zh-CN": "VIP", "en": "VIP"},
    "identifier.phone": {"zh-CN": "电话", "en": "Phone"},
    "identifier.email": {"zh-CN": "邮箱", "en": "E-mail"},
    "identifier.member_id": {"zh-CN": "会员号", "en": "Member id"},
    "identifier.order_no": {"zh-CN": "订单号", "en": "Order"},
    # the phone record form (seed 001)
    "phone.title": {"zh-CN": "客户服务电话记录表", "en": "Phone record form"},
    "phone.call_time": {"zh-CN": "通话时间", "en": "Call time"},
    "phone.customer": {"zh-CN": "客户姓名/昵称", "en": "Customer"},
    "phone.phone": {"zh-CN": "联系电话", "en": "Phone"},
    "phone.member_id": {"zh-CN": "客户编号", "en": "Customer no."},
    "phone.customer_type": {"zh-CN": "客户类型", "en": "Customer type"},
    "phone.problem_type": {"zh-CN": "问题类型", "en": "Problem type"},
    "phone.description": {"zh-CN": "问题描述", "en": "Description"},
    "phone.handler": {"zh-CN": "处理人员", "en": "Handled by"},
    "phone.verification": {"zh-CN": "问题核实过程", "en": "Verification"},
    "phone.resolution": {"zh-CN": "解决方案/处理结果", "en": "Resolution"},
    "category.inquiry": {"zh-CN": "咨询", "en": "Inquiry"},
    "category.customization": {"zh-CN": "定制", "en": "Customization"},
    "category.other": {"zh-CN": "其他", "en": "Other"},
    "category.after_sales": {"zh-CN": "售后", "en": "After-sales"},
    "category.fault": {"zh-CN": "故障", "en": "Fault"},
    "category.complaint": {"zh-CN": "投诉", "en": "Complaint"},
    "category.suggestion": {"zh-CN": "建议", "en": "Suggestion"},
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
