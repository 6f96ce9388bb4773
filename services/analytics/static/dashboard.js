// sopdesk live dashboard: reads GET /v1/stream (server-sent events over fetch, so the
// viewer key travels in the Authorization header, never in a URL) and draws the
// figures with plain SVG. No library, no CDN: it works offline.
"use strict";
(function () {
  const KEY = "sopdesk.viewerKey";
  const $ = (id) => document.getElementById(id);
  let controller = null;
  let retry = null;

  // The page's words in each language: Chinese unless English is chosen with the picker
  // (kept in localStorage). Elements say which with data-i18n / data-i18n-aria.
  const LANG = "sopdesk.lang";
  const language = () => (localStorage.getItem(LANG) === "en" ? "en" : "zh");
  const TEXT = {
    zh: {
      title: "sopdesk 客服看板", heading: "sopdesk 客服看板", forget: "更换密钥",
      key: "查看密钥", connect: "连接", key_note: "密钥只保存在本浏览器（localStorage），以 Bearer 请求头发送。",
      tickets: "工单量", open: "处理中", queue: "排队", at_risk: "预警", breached: "超时",
      sla: "SLA 达标率", frt: "首响中位数", resolution: "解决中位数", fcr: "一次解决率",
      reopen: "重开率", csat: "满意度", complaints: "投诉占比",
      range: "时间范围", today: "今日", week: "本周", month: "本月", custom: "自定义",
      since: "开始日期", until: "结束日期", show: "查看",
      trend_volume: "工单量趋势（每日）", trend_sla: "SLA 达标率趋势", trend_csat: "满意度趋势",
      trend_frt: "首响中位数趋势（分钟）", breached_open: "超时未结", oldest_open: "最久未结",
      by_channel: "渠道", by_category: "类别", by_priority: "优先级", by_state: "状态",
      per_team: "团队", team: "团队", per_agent: "坐席", agent: "坐席",
      col_tickets: "工单", col_open: "处理中", col_queue: "排队", col_at_risk: "预警",
      col_breached: "超时", col_frt: "首响中位", updated: "更新于",
      none: "无", no_data: "暂无数据", minutes: "分钟",
      connecting: "连接中…", live: "实时", reconnecting: "重新连接中…", error: "出错：",
      unknown_key: "密钥无效。", forbidden_key: "此密钥无权查看看板。",
      subject: "主题", state: "状态", handler: "处理人", received: "受理",
      resolve_by: "解决时限", yes: "是", no: "否", not_found: "（未找到）", colon: "：",
      around_team: ["（", "）"],
      on_shift_title: "当班", day: "日期", on_shift_now: "当班", on_leave_today: "今日请假",
      shift_until: "至", no_shifts: "暂无排班", workday: "工作日", holiday: "节假日", weekend: "周末",
    },
    en: {
      title: "sopdesk service dashboard", heading: "sopdesk service dashboard", forget: "Change key",
      key: "Viewer API key", connect: "Connect",
      key_note: "The key stays in this browser (localStorage) and is sent as a Bearer header.",
      tickets: "Tickets", open: "Open", queue: "Queue", at_risk: "At risk", breached: "Breached",
      sla: "SLA compliance", frt: "First response (median)", resolution: "Resolution (median)",
      fcr: "First-contact resolution", reopen: "Reopen rate", csat: "CSAT", complaints: "Complaint share",
      range: "Time range", today: "Today", week: "This week", month: "This month", custom: "Custom",
      since: "Since", until: "Until", show: "Show",
      trend_volume: "Tickets per day", trend_sla: "SLA compliance", trend_csat: "CSAT",
      trend_frt: "First response, median (min)", breached_open: "Breached and open",
      oldest_open: "Oldest open", by_channel: "By channel", by_category: "By category",
      by_priority: "By priority", by_state: "By state", per_team: "Per team", team: "Team",
      per_agent: "Per agent", agent: "Agent", col_tickets: "Tickets", col_open: "Open",
      col_queue: "Queue", col_at_risk: "At risk", col_breached: "Breached",
      col_frt: "First response", updated: "Updated",
      none: "None", no_data: "No data yet", minutes: "min",
      connecting: "connecting…", live: "live", reconnecting: "reconnecting…", error: "error: ",
      unknown_key: "Unknown key.", forbidden_key: "This key may not read the dashboard.",
      subject: "Subject", state: "State", handler: "Agent", received: "Received",
      resolve_by: "Resolve by", yes: "yes", no: "no", not_found: " (not found)", colon: ": ",
      around_team: [" (", ")"],
      on_shift_title: "On shift", day: "Day", on_shift_now: "On shift now",
      on_leave_today: "On leave today", shift_until: "until", no_shifts: "No team has shifts",
      workday: "workday", holiday: "holiday", weekend: "weekend",
    },
  };
  const t = (key) => TEXT[language()][key];

  function translate() {
    document.documentElement.lang = language() === "en" ? "en" : "zh-CN";
    document.title = t("title");
    for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
    for (const el of document.querySelectorAll("[data-i18n-aria]")) {
      el.setAttribute("aria-label", t(el.dataset.i18nAria));
    }
  }

  // Codes as supervisors say them, by kind and language: sent with every snapshot (the
  // vocabularies and the teams as dispatch announced them, so a new team is named at
  // once). A code not labelled yet shows as it is.
  let labels = { zh: {}, en: {} };
  const name = (kind, code) => (labels[language()][kind] || {})[code] || code;

  const pct = (v) => (v === null || v === undefined ? "–" : (v * 100).toFixed(1) + "%");
  const mins = (s) => (s === null || s === undefined ? "–" : (s / 60).toFixed(0) + " " + t("minutes"));
  const num = (v) => (v === null || v === undefined ? "–" : String(v));
  const csat = (c) => (c.average === null ? "–" : c.average.toFixed(2));

  // Times in the display time zone, 24-hour: "2026-11-16 09:00" in Chinese,
  // "16 Nov 2026, 09:00" in English.
  const DISPLAY_ZONE = "Asia/Shanghai";
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const clockParts = new Intl.DateTimeFormat("en-US", {
    timeZone: DISPLAY_ZONE, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  });
  function when(iso) {
    if (!iso) return "–";
    const p = {};
    for (const part of clockParts.formatToParts(new Date(iso))) p[part.type] = part.value;
    if (language() === "en") {
      return Number(p.day) + " " + MONTHS[Number(p.month) - 1] + " " + p.year + ", " + p.hour + ":" + p.minute;
    }
    return p.year + "-" + p.month + "-" + p.day + " " + p.hour + ":" + p.minute;
  }
  function timeNode(iso) {
    const t = document.createElement("time");
    t.setAttribute("datetime", iso || "");
    t.textContent = when(iso);
    return t;
  }

  // The status and the login error are kept as keys, so a language switch re-says them.
  let status = ["connecting", "", ""];
  let loginError = null;
  function setStatus(key, cls, detail) {
    status = [key, cls || "", detail || ""];
    const el = $("status");
    el.textContent = t(key) + (detail || "");
    el.className = "status " + (cls || "");
  }

  function showLogin(errorKey) {
    loginError = errorKey || null;
    $("board").hidden = true;
    $("forget").hidden = true;
    $("login").hidden = false;
    $("login-error").textContent = loginError ? t(loginError) : "";
  }

  // Text that is data (a ticket's subject, a person's name) is marked: it stays as
  // written whatever the language.
  function dataText(text) {
    const span = document.createElement("span");
    span.setAttribute("data-user-text", "");
    span.textContent = text;
    return span;
  }

  function bars(svg, data, kind) {
    const entries = Object.entries(data);
    const ns = "http://www.w3.org/2000/svg";
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    if (!entries.length) {
      const empty = document.createElementNS(ns, "text");
      empty.setAttribute("x", 0);
      empty.setAttribute("y", 16);
      empty.setAttribute("class", "empty");
      empty.textContent = t("no_data");
      svg.appendChild(empty);
    }
    const width = svg.clientWidth || 320;
    const rowH = Math.max(14, Math.min(24, 170 / Math.max(entries.length, 1)));
    const max = Math.max(1, ...entries.map((e) => e[1]));
    const labelW = 90;
    entries.forEach(([label, value], i) => {
      const y = i * rowH + 2;
      const t = document.createElementNS(ns, "text");
      t.setAttribute("x", 0);
      t.setAttribute("y", y + rowH * 0.7);
      t.textContent = name(kind, label);
      svg.appendChild(t);
      const r = document.createElementNS(ns, "rect");
      r.setAttribute("x", labelW);
      r.setAttribute("y", y + 2);
      r.setAttribute("height", rowH - 4);
      r.setAttribute("width", Math.max(1, ((width - labelW - 50) * value) / max));
      svg.appendChild(r);
      const v = document.createElementNS(ns, "text");
      v.setAttribute("x", labelW + Math.max(1, ((width - labelW - 50) * value) / max) + 4);
      v.setAttribute("y", y + rowH * 0.7);
      v.setAttribute("data-value", String(value));
      v.textContent = String(value);
      svg.appendChild(v);
    });
    svg.setAttribute("height", entries.length * rowH + 4);
  }

  // A team in the chosen language; an agent (keyed team/agent) by name and team.
  function groupName(kind, g) {
    if (kind !== "agent") return (labels[language()].team || {})[g.key] || g.name || g.key;
    const cut = g.key.indexOf("/");
    if (cut < 0) return g.name || g.key;
    const [open, close] = t("around_team");
    const cell = document.createDocumentFragment();
    cell.append(dataText(g.key.slice(cut + 1)), open + name("team", g.key.slice(0, cut)) + close);
    return cell;
  }

  function rows(tbody, groups, kind, cells, width) {
    tbody.textContent = "";
    for (const g of groups) {
      const tr = document.createElement("tr");
      tr.setAttribute("data-key", g.key);
      for (const value of [groupName(kind, g), ...cells(g.figures)]) {
        const td = document.createElement("td");
        td.append(value);
        tr.appendChild(td);
      }
      tbody.appendChild(tr);
    }
    if (!groups.length) {
      const td = document.createElement("td");
      td.colSpan = width;
      td.className = "muted";
      td.textContent = t("no_data");
      tbody.appendChild(document.createElement("tr")).appendChild(td);
    }
  }

  // ------------------------------------------------------------------ who is on shift

  // Per team with shifts (as dispatch announced it): who is on shift now, until when, and
  // who is on leave today. Names and shift names are data, kept as written.
  function clock(iso) {
    const p = {};
    for (const part of clockParts.formatToParts(new Date(iso))) p[part.type] = part.value;
    return p.hour + ":" + p.minute;
  }
  function person(cls, who, detail) {
    const span = document.createElement("span");
    span.className = "agent " + cls;
    span.append(dataText(who));
    const small = document.createElement("small");
    small.className = "muted";
    small.append(" ", ...detail);
    span.appendChild(small);
    return span;
  }
  function onShift(teams) {
    const tbody = $("on-shift").tBodies[0];
    tbody.textContent = "";
    for (const team of teams) {
      const tr = document.createElement("tr");
      tr.setAttribute("data-team", team.team);
      const cells = [0, 1, 2, 3].map(() => tr.appendChild(document.createElement("td")));
      cells[0].textContent = (labels[language()].team || {})[team.team] || team.name;
      cells[1].textContent = team.day.slice(5) + " " + (t(team.day_kind) || team.day_kind);
      for (const a of team.on_shift) {
        const until = " " + t("shift_until") + " " + clock(a.until);
        cells[2].appendChild(person("on", a.name, [dataText(a.shift), until]));
      }
      for (const a of team.on_leave) {
        cells[3].appendChild(person("leave", a.name, [t("shift_until") + " " + a.last_day.slice(5)]));
      }
      if (!team.on_shift.length) cells[2].textContent = t("none");
      if (!team.on_leave.length) cells[3].textContent = t("none");
      tbody.appendChild(tr);
    }
    if (!teams.length) {
      const td = document.createElement("td");
      td.colSpan = 4;
      td.className = "muted";
      td.textContent = t("no_shifts");
      tbody.appendChild(document.createElement("tr")).appendChild(td);
    }
  }

  let lastSnapshot = null;
  function render(snapshot) {
    lastSnapshot = snapshot;
    const s = snapshot.summary;
    const f = s.figures;
    labels = { zh: snapshot.labels || {}, en: snapshot.labels_en || snapshot.labels || {} };
    $("kpi-tickets").textContent = num(f.tickets);
    $("kpi-open").textContent = num(f.open);
    $("kpi-queue").textContent = num(f.queue_length);
    $("kpi-at-risk").textContent = num(f.at_risk);
    $("kpi-breached").textContent = num(f.breached);
    $("kpi-sla").textContent = pct(f.sla_compliance);
    $("kpi-frt").textContent = mins(f.first_response.median_seconds);
    $("kpi-res").textContent = mins(f.resolution.median_seconds);
    $("kpi-fcr").textContent = pct(f.fcr_rate);
    $("kpi-reopen").textContent = pct(f.reopen_rate);
    $("kpi-csat").textContent = csat(f.csat);
    $("kpi-complaints").textContent = pct(f.complaint_share);
    bars($("chart-channel"), s.by_channel, "channel");
    bars($("chart-category"), s.by_category, "category");
    bars($("chart-priority"), s.by_priority, "priority");
    bars($("chart-state"), s.by_state, "state");
    rows($("teams").tBodies[0], snapshot.teams, "team", (x) => [
      num(x.tickets), num(x.open), num(x.queue_length), num(x.at_risk), num(x.breached),
      pct(x.sla_compliance), mins(x.first_response.median_seconds), pct(x.fcr_rate), csat(x.csat),
    ], 10);
    rows($("agents").tBodies[0], snapshot.agents, "agent", (x) => [
      num(x.tickets), num(x.open), num(x.breached), pct(x.sla_compliance),
      mins(x.first_response.median_seconds), pct(x.fcr_rate), csat(x.csat),
    ], 8);
    onShift(snapshot.on_shift || []);
    $("updated").textContent = when(snapshot.generated_at);
    document.body.setAttribute("data-generated-at", snapshot.generated_at);
  }

  // ------------------------------------------------------------------ time range

  const ZONE = "Asia/Shanghai"; // days are China's, as the API counts them
  const isoDay = (d) => new Intl.DateTimeFormat("en-CA", { timeZone: ZONE }).format(d);
  const addDays = (day, n) => {
    const d = new Date(day + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
  };

  function rangeDays() {
    const today = isoDay(new Date());
    const choice = $("range").value;
    if (choice === "today") return [today, today];
    if (choice === "month") return [today.slice(0, 8) + "01", today];
    if (choice === "custom") return [$("range-since").value || today, $("range-until").value || today];
    const weekday = (new Date(today + "T00:00:00Z").getUTCDay() + 6) % 7; // Monday = 0
    return [addDays(today, -weekday), today];
  }

  function trend(svg, points, format) {
    const ns = "http://www.w3.org/2000/svg";
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    const width = svg.clientWidth || 320;
    const height = svg.clientHeight || 120;
    const known = points.filter((p) => p[1] !== null && p[1] !== undefined);
    if (!known.length) {
      const empty = document.createElementNS(ns, "text");
      empty.setAttribute("x", width / 2 - 30);
      empty.setAttribute("y", height / 2);
      empty.setAttribute("class", "empty");
      empty.textContent = t("no_data");
      svg.appendChild(empty);
    }
    const max = Math.max(1e-9, ...known.map((p) => p[1]));
    const x = (i) => 30 + ((width - 60) * i) / Math.max(points.length - 1, 1);
    const y = (v) => height - 20 - ((height - 40) * v) / max;
    const line = document.createElementNS(ns, "polyline");
    line.setAttribute("points", points.map((p, i) => (p[1] === null ? null : x(i) + "," + y(p[1]))).filter(Boolean).join(" "));
    svg.appendChild(line);
    points.forEach(([day, value], i) => {
      if (value === null || value === undefined) return;
      const c = document.createElementNS(ns, "circle");
      c.setAttribute("cx", x(i));
      c.setAttribute("cy", y(value));
      c.setAttribute("r", 3);
      c.setAttribute("data-day", day);
      c.setAttribute("data-value", String(value));
      svg.appendChild(c);
      const t = document.createElementNS(ns, "text");
      t.setAttribute("x", x(i) - 12);
      t.setAttribute("y", y(value) - 6);
      t.textContent = format(value);
      svg.appendChild(t);
    });
    const first = document.createElementNS(ns, "text");
    first.setAttribute("x", 0);
    first.setAttribute("y", height - 4);
    first.textContent = points.length ? points[0][0].slice(5) + " … " + points[points.length - 1][0].slice(5) : "";
    svg.appendChild(first);
  }

  async function api(path) {
    const response = await fetch(path, {
      headers: { Authorization: "Bearer " + localStorage.getItem(KEY) },
      cache: "no-store",
    });
    if (!response.ok) throw new Error(path + ": " + response.status);
    return response.json();
  }

  async function showRange() {
    const [since, until] = rangeDays();
    $("range-label").textContent = since + " — " + until;
    const q = "since=" + since + "&until=" + until;
    const [whole, days] = await Promise.all([
      api("/v1/metrics/summary?" + q),
      api("/v1/metrics/summary?group_by=day&" + q),
    ]);
    const f = whole.figures;
    $("range-tickets").textContent = num(f.tickets);
    $("range-sla").textContent = pct(f.sla_compliance);
    $("range-csat").textContent = csat(f.csat);
    $("range-frt").textContent = mins(f.first_response.median_seconds);
    const groups = days.groups || [];
    const minutes = (s) => (s === null ? null : Math.round(s / 6) / 10);
    trend($("trend-volume"), groups.map((g) => [g.key, g.figures.tickets]), String);
    trend($("trend-sla"), groups.map((g) => [g.key, g.figures.sla_compliance]), pct);
    trend($("trend-csat"), groups.map((g) => [g.key, g.figures.csat.average]), (v) => v.toFixed(2));
    trend($("trend-frt"), groups.map((g) => [g.key, minutes(g.figures.first_response.median_seconds)]), String);
    document.body.setAttribute("data-range", since + "/" + until);
  }

  function attentionList(ol, items) {
    ol.textContent = "";
    for (const item of items) {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = item.link;
      a.textContent = item.ticket_no || item.ticket_id;
      a.setAttribute("data-ticket", item.ticket_no || "");
      li.appendChild(a);
      const team = item.team_key ? name("team", item.team_key) : item.team || "–";
      li.append(" ", dataText(item.subject || ""), " · " + team + " · " + name("state", item.state) + " · ");
      li.appendChild(timeNode(item.received_at));
      ol.appendChild(li);
    }
    if (!items.length) {
      const li = ol.appendChild(document.createElement("li"));
      li.className = "muted";
      li.textContent = t("none");
    }
  }

  async function showAttention() {
    const found = await api("/v1/dashboard/attention?limit=10");
    attentionList($("breached-list"), found.breached);
    attentionList($("oldest-list"), found.oldest_open);
  }

  // /?ticket=T… still opens its ledger record in the panel (old bookmarks);
  // the lists link to the ticket in the workspace.
  async function showTicket() {
    const wanted = new URLSearchParams(location.search).get("ticket");
    const panel = $("ticket-detail");
    if (!wanted) return (panel.hidden = true);
    const page = await api("/v1/ledger?ticket_no=" + encodeURIComponent(wanted));
    const row = page.items[0];
    panel.hidden = false;
    panel.textContent = "";
    const h = document.createElement("h2");
    h.id = "ticket-no";
    h.textContent = row ? row.ticket_no : wanted + t("not_found");
    panel.appendChild(h);
    if (!row) return;
    for (const [label, value, asWritten] of [
      ["subject", row.subject, true], ["team", name("team", row.team)],
      ["state", name("state", row.state)], ["handler", row.agent_name, true],
      ["received", row.received_at && when(row.received_at)],
      ["resolve_by", row.resolve_by && when(row.resolve_by)],
      ["breached", row.breached ? t("yes") : t("no")],
    ]) {
      const p = document.createElement("p");
      p.append(t(label) + t("colon"), asWritten && value ? dataText(value) : value || "–");
      panel.appendChild(p);
    }
  }

  async function refreshViews() {
    try {
      await Promise.all([showRange(), showAttention(), showTicket()]);
    } catch (err) {
      setStatus("error", "error", err.message);
    }
  }

  // Switching says everything again in the new language: the page's words, the last
  // snapshot, the status, and the range and attention views (fetched again).
  $("lang").value = language();
  translate();
  $("lang").addEventListener("change", () => {
    localStorage.setItem(LANG, $("lang").value);
    translate();
    setStatus(...status);
    if (loginError) $("login-error").textContent = t(loginError);
    if (lastSnapshot) render(lastSnapshot);
    if (!$("board").hidden) refreshViews();
  });

  $("range").addEventListener("change", () => {
    const custom = $("range").value === "custom";
    $("range-since").hidden = !custom;
    $("range-until").hidden = !custom;
    if (!custom) refreshViews();
  });
  $("range-form").addEventListener("submit", (event) => {
    event.preventDefault();
    refreshViews();
  });

  async function connect() {
    const key = localStorage.getItem(KEY);
    if (!key) return showLogin();
    $("login").hidden = true;
    $("forget").hidden = false;
    if (controller) controller.abort();
    controller = new AbortController();
    setStatus("connecting");
    let response;
    try {
      response = await fetch("/v1/stream", {
        headers: { Authorization: "Bearer " + key, Accept: "text/event-stream" },
        signal: controller.signal,
        cache: "no-store",
      });
    } catch (err) {
      return reconnect();
    }
    if (response.status === 401 || response.status === 403) {
      localStorage.removeItem(KEY);
      return showLogin(response.status === 401 ? "unknown_key" : "forbidden_key");
    }
    if (!response.ok || !response.body) return reconnect();
    $("board").hidden = false;
    setStatus("live", "live");
    refreshViews();
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const frame = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const data = frame
            .split("\n")
            .filter((line) => line.startsWith("data:"))
            .map((line) => line.slice(5).trimStart())
            .join("\n");
          if (data) render(JSON.parse(data));
        }
      }
    } catch (err) {
      if (err.name === "AbortError") return;
    }
    reconnect();
  }

  function reconnect() {
    setStatus("reconnecting", "error");
    clearTimeout(retry);
    retry = setTimeout(connect, 3000);
  }

  $("login").addEventListener("submit", (event) => {
    event.preventDefault();
    localStorage.setItem(KEY, $("key").value.trim());
    $("key").value = "";
    connect();
  });
  $("forget").addEventListener("click", () => {
    localStorage.removeItem(KEY);
    if (controller) controller.abort();
    showLogin();
  });
  connect();
})();
