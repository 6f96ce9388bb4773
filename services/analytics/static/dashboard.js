// sopdesk live dashboard: reads GET /v1/stream (server-sent events over fetch, so the
// viewer key travels in the Authorization header, never in a URL) and draws the
// figures with plain SVG. No library, no CDN: it works offline.
"use strict";
(function () {
  const KEY = "sopdesk.viewerKey";
  const $ = (id) => document.getElementById(id);
  let controller = null;
  let retry = null;

  // Codes as supervisors say them, by kind: sent with every snapshot (the vocabularies
  // and the teams as dispatch announced them, so a new team is named at once). A code
  // not labelled yet shows as it is.
  let labels = {};
  const name = (kind, code) => (labels[kind] || {})[code] || code;

  const pct = (v) => (v === null || v === undefined ? "–" : (v * 100).toFixed(1) + "%");
  const mins = (s) => (s === null || s === undefined ? "–" : (s / 60).toFixed(0) + " min");
  const num = (v) => (v === null || v === undefined ? "–" : String(v));
  const csat = (c) => (c.average === null ? "–" : c.average.toFixed(2));

  // Times in the display time zone, 24-hour: "2026-11-16 09:00" in Chinese,
  // "16 Nov 2026, 09:00" in English (the language picker; Chinese unless chosen).
  const LANG = "sopdesk.lang";
  const DISPLAY_ZONE = "Asia/Shanghai";
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const language = () => (localStorage.getItem(LANG) === "en" ? "en" : "zh");
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

  function setStatus(text, cls) {
    const el = $("status");
    el.textContent = text;
    el.className = "status " + (cls || "");
  }

  function showLogin(message) {
    $("board").hidden = true;
    $("forget").hidden = true;
    $("login").hidden = false;
    $("login-error").textContent = message || "";
  }

  function bars(svg, data, kind) {
    const entries = Object.entries(data);
    const ns = "http://www.w3.org/2000/svg";
    while (svg.firstChild) svg.removeChild(svg.firstChild);
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

  function rows(tbody, groups, kind, cells) {
    tbody.textContent = "";
    for (const g of groups) {
      const tr = document.createElement("tr");
      tr.setAttribute("data-key", g.key);
      for (const value of [g.name || name(kind, g.key), ...cells(g.figures)]) {
        const td = document.createElement("td");
        td.textContent = value;
        tr.appendChild(td);
      }
      tbody.appendChild(tr);
    }
  }

  function render(snapshot) {
    const s = snapshot.summary;
    const f = s.figures;
    labels = snapshot.labels || {};
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
    ]);
    rows($("agents").tBodies[0], snapshot.agents, "agent", (x) => [
      num(x.tickets), num(x.open), num(x.breached), pct(x.sla_compliance),
      mins(x.first_response.median_seconds), pct(x.fcr_rate), csat(x.csat),
    ]);
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
      li.appendChild(document.createTextNode(
        " " + (item.subject || "") + " · " + (item.team || "–") + " · " + name("state", item.state)
        + " · "));
      li.appendChild(timeNode(item.received_at));
      ol.appendChild(li);
    }
    if (!items.length) ol.innerHTML = "<li class=muted>无 none</li>";
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
    h.textContent = row ? row.ticket_no : wanted + "（未找到 not found）";
    panel.appendChild(h);
    if (!row) return;
    for (const [label, value] of [
      ["主题 subject", row.subject], ["团队 team", name("team", row.team)],
      ["状态 state", name("state", row.state)], ["处理人 agent", row.agent_name],
      ["受理 received", row.received_at && when(row.received_at)],
      ["解决时限 resolve by", row.resolve_by && when(row.resolve_by)],
      ["超时 breached", row.breached ? "是 yes" : "否 no"],
    ]) {
      const p = document.createElement("p");
      p.textContent = label + "：" + (value || "–");
      panel.appendChild(p);
    }
  }

  async function refreshViews() {
    try {
      await Promise.all([showRange(), showAttention(), showTicket()]);
    } catch (err) {
      setStatus("error: " + err.message, "error");
    }
  }

  $("lang").value = language();
  $("lang").addEventListener("change", () => {
    localStorage.setItem(LANG, $("lang").value);
    document.documentElement.lang = $("lang").value === "en" ? "en" : "zh-CN";
    const generated = document.body.getAttribute("data-generated-at");
    if (generated) $("updated").textContent = when(generated);
    refreshViews();
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
    setStatus("connecting…");
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
      return showLogin(response.status === 401 ? "Unknown key." : "This key may not read the dashboard.");
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
    setStatus("reconnecting…", "error");
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
