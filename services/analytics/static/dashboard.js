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
    $("updated").textContent = new Date(snapshot.generated_at).toLocaleString();
    document.body.setAttribute("data-generated-at", snapshot.generated_at);
  }

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
