"""The words of the supervisor console and the admin screens (zh-CN first, English), added
to the workspace's catalogue when the screens are imported."""

from __future__ import annotations

from services.workspace.i18n import add_words


def _w(zh: str, en: str) -> dict[str, str]:
    return {"zh-CN": zh, "en": en}


WORDS: dict[str, dict[str, str]] = {
    # navigation
    "nav.supervisor_inbox": _w("主管收件箱", "Inbox"),
    "nav.supervisor_queue": _w("队列", "Queue"),
    "nav.supervisor_agents": _w("坐席", "Agents"),
    "nav.admin": _w("管理", "Admin"),
    "shortcuts.super_inbox": _w("主管收件箱", "Supervisor inbox"),
    "shortcuts.super_queue": _w("队列", "Queue"),
    "shortcuts.super_agents": _w("坐席状态", "Agents"),
    "shortcuts.admin": _w("系统管理", "Administration"),
    # shared bits
    "console.team": _w("团队", "Team"),
    "console.all_my_teams": _w("我负责的全部团队", "All my teams"),
    "console.all_teams": _w("全部团队", "All teams"),
    "console.show": _w("显示", "Show"),
    "console.choose": _w("请选择…", "Choose…"),
    "console.unchanged": _w("不变", "Unchanged"),
    "console.minutes": _w("{n} 分钟", "{n} min"),
    # inbox
    "super.inbox.title": _w("主管收件箱", "Supervisor inbox"),
    "super.inbox.states": _w("状态", "State"),
    "super.inbox.empty": _w("没有待处理事项。", "Nothing to handle."),
    "super.state.open": _w("待处理", "Open"),
    "super.state.handled": _w("已处理", "Handled"),
    "super.state.dismissed": _w("已忽略", "Dismissed"),
    "super.section.pending_approvals": _w("待审批补偿", "Compensation to approve"),
    "super.section.extension_requests": _w("延期申请", "Requests for more time"),
    "super.section.escalations": _w("升级", "Escalations"),
    "super.section.reopened": _w("重新打开的工单", "Reopened tickets"),
    "super.section.sla_breaches": _w("SLA 超时", "SLA breaches"),
    "super.section.sla_warnings": _w("SLA 预警", "SLA warnings"),
    "super.section.reports": _w("P0/P1 报告", "P0/P1 reports"),
    "super.section.unsatisfied_surveys": _w("不满意评价", "Unsatisfied surveys"),
    "super.section.surveys": _w("不满意评价", "Unsatisfied surveys"),
    "super.kind.escalation": _w("升级", "Escalation"),
    "super.kind.report": _w("报告", "Report"),
    "super.kind.sla_warning": _w("预警", "Warning"),
    "super.kind.sla_breached": _w("超时", "Breach"),
    "super.kind.reopened": _w("重开", "Reopened"),
    "super.kind.extension_request": _w("延期申请", "More time"),
    "super.kind.unsatisfied_survey": _w("不满意", "Unsatisfied"),
    "super.kind.survey": _w("评价", "Survey"),
    "super.open_ticket": _w("查看工单", "Open the ticket"),
    "super.open_ticket_page": _w("打开工单页面", "Open the ticket page"),
    "super.note": _w("处理说明", "Note"),
    "super.handle": _w("已处理", "Handled"),
    "super.dismiss": _w("忽略", "Dismiss"),
    "super.closed_by": _w("{who} 于 {at}", "{who} at {at}"),
    "super.approve": _w("批准", "Approve"),
    "super.approve_reason": _w("批准说明（可选）", "Note (optional)"),
    "super.reject": _w("驳回", "Reject"),
    "super.reject_reason": _w("驳回原因", "Reason for rejecting"),
    "super.extension_detail": _w(
        "申请把解决时限延长 {minutes} 分钟。原因：{reason}",
        "Asks for {minutes} more minutes to resolve. Why: {reason}",
    ),
    "super.grant": _w("同意延期", "Grant"),
    "super.grant_note": _w("说明（可选）", "Note (optional)"),
    "super.refuse": _w("拒绝延期", "Refuse"),
    "super.refuse_note": _w("拒绝原因", "Reason for refusing"),
    "comp.kind.coupon": _w("优惠券", "Coupon"),
    "comp.kind.refund": _w("退款", "Refund"),
    "comp.kind.extended_warranty": _w("延长保修", "Extended warranty"),
    "comp.kind.free_repair": _w("免费维修", "Free repair"),
    "comp.amount.cny": _w("¥{amount}", "CNY {amount}"),
    "comp.amount.days": _w("{amount} 天", "{amount} days"),
    # queue and one ticket
    "super.queue.title": _w("队列与在办工单", "Queue and open tickets"),
    "super.queue.waiting": _w("排队等待坐席", "Waiting for an agent"),
    "super.queue.open": _w("在办工单", "Open tickets"),
    "super.queue.none_waiting": _w("没有排队的工单。", "No ticket is waiting."),
    "super.queue.none_open": _w("没有在办工单。", "No open ticket."),
    "super.escalated": _w("已升级", "Escalated"),
    "super.assignment.title": _w("工单督办", "Supervise a ticket"),
    "super.assignment.facts": _w("工单概况", "Ticket"),
    "super.assignment.clocks": _w("SLA 时钟", "SLA clocks"),
    "super.assignment.decision": _w("分诊依据", "Why triage decided"),
    "super.assignment.activity": _w("最近动态", "Latest activity"),
    "super.reassign": _w("改派", "Reassign"),
    "super.reassign_to": _w("改派给", "Reassign to"),
    "super.take_over": _w("主管接手", "Take over"),
    "super.retriage": _w("重新分诊", "Re-triage"),
    "super.reason": _w("原因", "Reason"),
    # agents
    "super.agents.title": _w("坐席状态", "Agents"),
    "super.agents.today": _w(
        "今日数据（{day}，按受理日统计）", "Today's figures ({day}, by day received)"
    ),
    "super.agents.none": _w("没有坐席。", "No agents."),
    "col.shift": _w("班次", "Shift"),
    "super.no_roster": _w("不排班", "no shifts"),
    "super.off_shift": _w("不在班", "off shift"),
    "super.until": _w("至 {at}", "until {at}"),
    "agent.status.online": _w("在线", "Online"),
    "agent.status.away": _w("离开", "Away"),
    "agent.status.offline": _w("离线", "Offline"),
    # states, clocks, activity
    "state.queued": _w("排队中", "Queued"),
    "state.assigned": _w("已分配", "Assigned"),
    "state.accepted": _w("处理中", "In progress"),
    "state.waiting_on_customer": _w("等待客户", "Waiting on customer"),
    "state.resolved": _w("已解决", "Resolved"),
    "clock.response": _w("响应", "Response"),
    "clock.resolution": _w("解决", "Resolution"),
    "clock.update": _w("每日更新", "Daily update"),
    "clock.state.running": _w("计时中", "Running"),
    "clock.state.paused": _w("已暂停", "Paused"),
    "clock.state.met": _w("已达成", "Met"),
    "clock.state.breached": _w("已超时", "Breached"),
    "activity.assigned": _w("分配", "assigned"),
    "activity.accepted": _w("接单", "accepted"),
    "activity.transferred": _w("转交", "transferred"),
    "activity.escalated": _w("升级", "escalated"),
    "activity.reassigned": _w("改派", "reassigned"),
    "activity.taken_over": _w("主管接手", "took over"),
    "activity.reopened": _w("重新打开", "reopened"),
    "activity.resolved": _w("解决", "resolved"),
    "activity.extension_requested": _w("申请延期", "asked for more time"),
    "activity.extension_granted": _w("同意延期", "granted more time"),
    "activity.extension_refused": _w("拒绝延期", "refused more time"),
    "activity.compensation_requested": _w("申请补偿", "requested compensation"),
    "activity.compensation_approved": _w("批准补偿", "approved compensation"),
    "activity.compensation_rejected": _w("驳回补偿", "rejected compensation"),
    "activity.customer_replied": _w("客户回复", "customer replied"),
    "activity.internal_note": _w("内部备注", "internal note"),
    "activity.public_reply": _w("回复客户", "replied"),
    # columns
    "col.ticket": _w("工单号", "Ticket"),
    "col.priority": _w("优先级", "Priority"),
    "col.subject": _w("主题", "Subject"),
    "col.team": _w("团队", "Team"),
    "col.teams": _w("所属团队", "Teams"),
    "col.state": _w("状态", "State"),
    "col.status": _w("状态", "Status"),
    "col.agent": _w("坐席", "Agent"),
    "col.respond_by": _w("响应截止", "Respond by"),
    "col.resolve_by": _w("解决截止", "Resolve by"),
    "col.category": _w("类别", "Category"),
    "col.scene": _w("场景", "Scene"),
    "col.version": _w("版本", "Version"),
    "col.clock": _w("时钟", "Clock"),
    "col.due": _w("截止", "Due"),
    "col.load": _w("负载", "Load"),
    "col.skills": _w("技能", "Skills"),
    "col.skill": _w("技能", "Skill"),
    "col.capacity": _w("容量", "Capacity"),
    "col.chat_capacity": _w("在线会话容量", "Chat capacity"),
    "col.today_tickets": _w("今日工单", "Tickets"),
    "col.today_resolved": _w("已解决", "Resolved"),
    "col.today_breached": _w("超时", "Breached"),
    "col.first_response": _w("首响中位数", "Median first response"),
    "col.csat": _w("满意度", "CSAT"),
    "col.login": _w("账号", "Login"),
    "col.display_name": _w("姓名", "Display name"),
    "col.roles": _w("角色", "Roles"),
    "col.supervises": _w("主管团队", "Supervises"),
    "col.key": _w("标识", "Key"),
    "col.name": _w("名称", "Name"),
    "col.name_en": _w("英文名称", "English name"),
    "col.supervisor": _w("主管账号", "Supervisor"),
    "col.rule": _w("规则", "Rule"),
    "col.rule_id": _w("规则标识", "Rule id"),
    "col.conditions": _w("条件", "When"),
    "col.decides": _w("判定", "Decides"),
    "col.corrections": _w("被纠正", "Corrected"),
    "col.description": _w("说明", "Description"),
    "col.keywords": _w("关键词", "Keywords"),
    "col.patterns": _w("正则表达式", "Patterns"),
    "col.channels": _w("渠道", "Channels"),
    "col.customer_types": _w("客户类型", "Customer types"),
    "col.scenes": _w("场景", "Scenes"),
    "col.metadata": _w("元数据条件", "Metadata"),
    "col.tags": _w("标签", "Tags"),
    "col.position": _w("顺序位置", "Position"),
    "col.customer_type": _w("客户类型", "Customer type"),
    "col.channel": _w("渠道", "Channel"),
    "col.respond": _w("响应", "Respond"),
    "col.resolve": _w("解决", "Resolve"),
    "col.calendar": _w("日历", "Calendar"),
    "col.windows": _w("工作时段", "Working hours"),
    "col.timezone": _w("时区", "Time zone"),
    "col.weekend_days": _w("周末", "Weekend days"),
    "col.china_holidays": _w(
        "遵循中国法定节假日与调休", "Follow China's holidays and make-up workdays"
    ),
    "col.always_open": _w("全天候（7×24）", "Always open (24×7)"),
    "col.extra_holidays": _w("额外休息日", "Extra days off"),
    "col.extra_workdays": _w("额外工作日", "Extra workdays"),
    "col.year": _w("年份", "Year"),
    "col.days_off": _w("放假日期", "Days off"),
    "col.makeup_workdays": _w("调休上班日期", "Make-up workdays"),
    "col.title": _w("标题", "Title"),
    "col.answer": _w("标准答案", "Answer"),
    "col.valid_from": _w("生效时间", "Valid from"),
    "col.valid_to": _w("失效时间", "Valid until"),
    "col.placeholders": _w("占位符", "Placeholders"),
    "col.language": _w("语言", "Language"),
    "col.body": _w("正文", "Text"),
    "weekday.0": _w("周一", "Mon"),
    "weekday.1": _w("周二", "Tue"),
    "weekday.2": _w("周三", "Wed"),
    "weekday.3": _w("周四", "Thu"),
    "weekday.4": _w("周五", "Fri"),
    "weekday.5": _w("周六", "Sat"),
    "weekday.6": _w("周日", "Sun"),
    "tpl.channel.any": _w("所有渠道", "Every channel"),
    "tpl.channel.sms": _w("短信", "SMS"),
    "tpl.channel.email": _w("邮件", "E-mail"),
    "tpl.channel.chat": _w("在线会话", "Chat"),
    # admin
    "admin.title": _w("系统管理", "Administration"),
    "admin.people": _w("人员", "People"),
    "admin.people.about": _w("账号、角色、团队与主管", "Accounts, roles, teams, supervisors"),
    "admin.teams": _w("团队", "Teams"),
    "admin.teams.about": _w("团队名称、主管与技能", "Names, supervisors and skills"),
    "admin.agents": _w("坐席技能与容量", "Agents' skills and capacity"),
    "admin.agents.about": _w("技能等级、并发容量、状态", "Skill levels, capacity, status"),
    "admin.agents.hint": _w(
        "技能写作 技能:等级（1 新手 … 5 专家），用逗号分隔，例如 fault:3, account:2。",
        "Skills as skill:level (1 new … 5 expert), comma-separated, e.g. fault:3, account:2.",
    ),
    "admin.rules": _w("分诊规则", "Rules"),
    "admin.rules.about": _w("关键词、优先级与团队，含试运行", "Keywords, priority, team; dry run"),
    "admin.rules.hint": _w(
        "按顺序尝试，第一条匹配的规则决定；每次修改生成新版本，只影响新工单。",
        "Tried in order, the first match decides; every change "
        "makes a new version for new tickets only.",
    ),
    "admin.sla": _w("SLA 与日历", "SLA and calendars"),
    "admin.sla.about": _w("时限策略、工作日历、节假日", "Policies, calendars, holidays"),
    "admin.kb": _w("知识库", "Knowledge base"),
    "admin.kb.about": _w("标准答案", "Standard answers"),
    "admin.templates": _w("消息模板", "Message templates"),
    "admin.templates.about": _w("发给客户的文字，含预览", "Texts customers get, with preview"),
    "admin.notice.holiday_schedule_missing": _w(
        "{year} 年法定节假日安排尚未加载（还有 {days} 天）。",
        "{year}'s official holiday schedule is not loaded ({days} days left).",
    ),
    "admin.load_holidays": _w("加载节假日安排", "Load the holiday schedule"),
    "admin.new_person": _w("新建账号", "New account"),
    "admin.person_created": _w("已创建账号 {login}。", "Account {login} created."),
    "admin.temporary_password": _w("临时密码", "Temporary password"),
    "admin.shown_once": _w(
        "（只显示这一次，首次登录须修改）", "(shown once; to be changed at first sign-in)"
    ),
    "admin.password_hint": _w(
        "留空则自动生成（至少 10 个字符）。", "Empty: one is made (at least 10 characters)."
    ),
    "admin.teams_hint": _w("团队标识，逗号分隔：{keys}", "Team keys, comma-separated: {keys}"),
    "admin.active": _w("启用", "Active"),
    "admin.disabled": _w("已停用", "Disabled"),
    "admin.disable": _w("停用账号", "Disable"),
    "admin.enable": _w("重新启用", "Enable"),
    "admin.reset_password": _w("重置密码", "Reset password"),
    "admin.history": _w("变更记录", "History"),
    "admin.create": _w("创建", "Create"),
    "admin.save": _w("保存", "Save"),
    "admin.delete": _w("删除", "Delete"),
    "admin.new_team": _w("新建团队", "New team"),
    "admin.version": _w("第 {n} 版", "version {n}"),
    "admin.ruleset_version": _w("规则集第 {n} 版", "rule set version {n}"),
    "admin.versions": _w("版本记录", "Versions"),
    "admin.new_rule": _w("新建规则", "New rule"),
    "admin.off": _w("停用", "off"),
    "admin.back_to_rules": _w("返回规则列表", "Back to the rules"),
    "admin.enabled": _w("启用此规则", "Enabled"),
    "admin.when": _w("当工单满足", "When a ticket matches"),
    "admin.then": _w("则判定为", "Then it is"),
    "admin.one_per_line": _w("每行一个，任一命中即匹配。", "One per line; any one matches."),
    "admin.patterns_hint": _w("每行一个正则表达式。", "One regular expression per line."),
    "admin.metadata_hint": _w(
        "每行 键: 值1, 值2，例如 order_status: shipped", "One per line: key: value1, value2"
    ),
    "admin.position_hint": _w(
        "0 为最先尝试；留空保持原位（新规则放在最后）。",
        "0 is tried first; empty keeps it (a new rule goes last).",
    ),
    "admin.save_rule": _w("保存（生成新版本）", "Save (new version)"),
    "admin.dry_run": _w("试运行", "Dry run"),
    "admin.dry_run.hint": _w(
        "用现行规则分诊一段示例文字，不创建工单。保存后再试即可看到修改的效果。",
        "Classifies a sample text with the rules in force; no ticket "
        "is made. Save, then try again to see a change.",
    ),
    "admin.try": _w("试运行", "Try"),
    "admin.decided_by": _w("决定规则", "Decided by"),
    "admin.fired": _w("命中规则", "Rules that fired"),
    "admin.policies": _w("SLA 策略", "SLA policies"),
    "admin.active_policy": _w("新工单使用 {name}", "new tickets get {name}"),
    "admin.in_use": _w("使用中", "in use"),
    "admin.new_policy": _w("新建策略", "New policy"),
    "admin.duration_hint": _w(
        "时长写作 30m、4h（工作时间）或 1d（工作日）。",
        "Durations as 30m, 4h (working time) or 1d (working days).",
    ),
    "admin.calendars": _w("工作日历", "Business calendars"),
    "admin.new_calendar": _w("新建日历", "New calendar"),
    "admin.windows_hint": _w("例如 09:00-12:00, 13:30-18:00", "e.g. 09:00-12:00, 13:30-18:00"),
    "admin.dates_hint": _w(
        "每行一个日期，或区间 2027-02-06~2027-02-12",
        "One date per line, or a range 2027-02-06~2027-02-12",
    ),
    "admin.official_years": _w(
        "已加载官方安排的年份：{years}", "Official schedules loaded: {years}"
    ),
    "admin.holidays": _w("加载下一年法定节假日安排", "Load next year's official holiday schedule"),
    "admin.holidays.hint": _w(
        "内置数据涵盖 {first}–{last} 年；之后的年份请按国务院办公厅通知录入放假与调休上班日期，"
        "所有遵循法定节假日的日历一次更新。",
        "Built-in data covers {first}–{last}; for later years enter the State Council's days off "
        "and make-up workdays; every calendar that follows China's holidays gets them at once.",
    ),
    "admin.new_article": _w("新建文章", "New article"),
    "admin.any_category": _w("任意类别", "Any category"),
    "admin.valid_hint": _w(
        "时间按 {zone} 显示；留空为长期有效。", "Times in {zone}; empty: always valid."
    ),
    "admin.own_versions": _w("自定义版本", "Own versions"),
    "admin.built_in": _w("内置", "built-in"),
    "admin.back_to_templates": _w("返回模板列表", "Back to the templates"),
    "admin.placeholders": _w("可用占位符", "Placeholders"),
    "admin.preview": _w("预览", "Preview"),
    "admin.save_version": _w("保存为新版本", "Save as a new version"),
    "admin.preview_title": _w(
        "客户将收到（{language}/{channel}）", "The customer gets ({language}/{channel})"
    ),
    # confirmations after a change
    "done.item_handled": _w("已标记为已处理。", "Marked as handled."),
    "done.item_dismissed": _w("已忽略。", "Dismissed."),
    "done.compensation_approved": _w("补偿已批准。", "Compensation approved."),
    "done.compensation_rejected": _w("补偿已驳回。", "Compensation rejected."),
    "done.extension_granted": _w(
        "已同意延期，解决时限已顺延。", "More time granted; the deadline moved."
    ),
    "done.extension_refused": _w("已拒绝延期。", "More time refused."),
    "done.reassigned": _w("已改派。", "Reassigned."),
    "done.taken_over": _w("您已接手此工单。", "You took the ticket over."),
    "done.retriaged": _w("已重新分诊。", "Re-triaged."),
    "done.saved": _w("已保存。", "Saved."),
    "done.team_created": _w("团队已创建。", "Team created."),
    "done.disabled": _w("账号已停用。", "Account disabled."),
    "done.enabled": _w("账号已重新启用。", "Account enabled."),
    "done.rule_saved": _w("规则已保存，生成新版本。", "Rule saved as a new version."),
    "done.rule_deleted": _w("规则已删除。", "Rule removed."),
    "done.policy_saved": _w("SLA 策略已保存。", "SLA policy saved."),
    "done.calendar_saved": _w("日历已保存。", "Calendar saved."),
    "done.holidays_loaded": _w("节假日安排已加载。", "Holiday schedule loaded."),
    "done.article_saved": _w("文章已保存。", "Article saved."),
    "done.article_deleted": _w("文章已删除。", "Article deleted."),
    "done.template_saved": _w(
        "模板新版本已保存，之后发送的消息使用它。",
        "New version saved; messages from now on use it.",
    ),
    # errors next to fields
    "error.roles_required": _w("至少选择一个角色。", "Choose at least one role."),
    "error.team_keys": _w(
        "团队标识为小写字母、数字和下划线。", "Team keys: lower-case letters, digits, _."
    ),
    "error.agent_needs_one_team": _w(
        "客服账号须属于且只属于一个团队。", "An agent belongs to exactly one team."
    ),
    "error.supervisor_needs_teams": _w(
        "主管至少负责一个团队。", "A supervisor supervises at least one team."
    ),
    "error.login_pattern": _w(
        "账号为 2–64 位小写字母、数字、点、横线或下划线。", "2–64 lower-case letters, digits, . - _"
    ),
    "error.password_short": _w("至少 10 个字符。", "At least 10 characters."),
    "error.number_range": _w(
        "请输入 {low}–{high} 之间的整数。", "A whole number from {low} to {high}."
    ),
    "error.skill_keys": _w(
        "技能为小写字母、数字和下划线。", "Skills: lower-case letters, digits, _."
    ),
    "error.team_key_pattern": _w(
        "2–32 位小写字母、数字或下划线，以字母开头。",
        "2–32 lower-case letters, digits or _, starting with a letter.",
    ),
    "error.skill_levels": _w(
        "写作 技能:等级，等级 1–5，例如 fault:3。", "As skill:level, levels 1–5, e.g. fault:3."
    ),
    "error.changed_meanwhile": _w(
        "此内容已被他人修改，下面是最新内容，请确认后再保存。",
        "Someone changed this meanwhile; here is the latest, check it and save again.",
    ),
    "error.rules_changed": _w(
        "规则集已更新为第 {version} 版（他人刚刚修改），未保存；请查看最新规则后再保存。",
        "The rule set is now version {version} (changed meanwhile);"
        " nothing was saved. Check the latest, then save again.",
    ),
    "error.config_changed": _w(
        "配置已更新为第 {version} 版（他人刚刚修改），未保存；下面是最新内容。",
        "The configuration is now version {version} (changed "
        "meanwhile); nothing was saved. Here is the latest.",
    ),
    "error.bad_pattern": _w(
        "正则表达式 {pattern} 无效：{why}", "Pattern {pattern} is not valid: {why}"
    ),
    "error.metadata_lines": _w("每行写作 键: 值1, 值2。", "Each line as key: value1, value2."),
    "error.rule_needs_condition": _w(
        "至少填写一个关键词、正则或元数据条件。",
        "At least one keyword, pattern or metadata condition.",
    ),
    "error.rule_id_pattern": _w("字母、数字、点、横线或下划线。", "Letters, digits, . - _"),
    "error.name_pattern": _w(
        "名称为字母、数字、点、横线或下划线。", "Names: letters, digits, . - _"
    ),
    "error.duration": _w("写作 30m、4h 或 1d。", "As 30m, 4h or 1d."),
    "error.windows": _w("写作 09:00-12:00, 13:30-18:00。", "As 09:00-12:00, 13:30-18:00."),
    "error.windows_or_always": _w(
        "请填写工作时段，或选择全天候。", "Give working hours, or choose always open."
    ),
    "error.dates": _w(
        "日期写作 2027-01-01，区间写作 2027-02-06~2027-02-12。",
        "Dates as 2027-01-01, ranges as 2027-02-06~2027-02-12.",
    ),
    "error.date_outside_year": _w("{day} 不在 {year} 年。", "{day} is not in {year}."),
    "error.datetime": _w("请选择有效的时间。", "Choose a valid time."),
    "error.valid_range": _w("失效时间须晚于生效时间。", "Must be after the start."),
    "error.retriage_nothing": _w(
        "请至少修改一项（类别、优先级、团队或场景）。",
        "Change at least one of category, priority, team, scene.",
    ),
    "error.invalid_state": _w(
        "此事项的状态已变化（可能已被处理），未重复执行。",
        "Its state changed meanwhile (already done?); nothing was applied twice.",
    ),
    "error.not_team_supervisor": _w("您不是该团队的主管。", "You do not supervise this team."),
    "error.person_required": _w("此操作需要本人登录。", "This needs a signed-in person."),
    "error.version_conflict": _w(
        "他人同时做了修改，请刷新后重试。", "Another change came first; reload and try again."
    ),
    "error.login_taken": _w("此账号已存在。", "This login is taken."),
    "error.team_not_found": _w("没有这个团队。", "No such team."),
    "error.team_exists": _w("此团队标识已存在。", "This team key exists."),
    "error.invalid_rule": _w("规则无效。", "The rule is not valid."),
    "error.unknown_placeholder": _w(
        "模板使用了不存在的占位符。", "The text uses a placeholder this template does not have."
    ),
    "error.weak_password": _w("密码太弱。", "The password is too weak."),
    "error.validation_error": _w("输入无效。", "The input is not valid."),
    "error.agent_not_found": _w("没有这个坐席。", "No such agent."),
    "error.not_found": _w("找不到。", "Not found."),
    "error.agent_unavailable": _w("该坐席不在线，不能改派给他。", "That agent is not online."),
    "error.agent_at_capacity": _w("该坐席已满负荷。", "That agent has no room."),
    "error.already_assigned": _w("工单已在该坐席名下。", "The ticket is with that agent already."),
    "error.agent_disabled": _w("该坐席账号已停用。", "That agent's account is disabled."),
    "error.agent_not_in_team": _w("该坐席不属于此团队。", "That agent is not in the team."),
    "error.concurrent_change": _w(
        "他人同时修改了此工单，请重试。", "Changed at the same moment; try again."
    ),
}

add_words(WORDS)
