// The workspace's behaviour beyond htmx: live updates (server-sent events) and keyboard
// shortcuts. No inline script anywhere (the page policy allows only this site's files).
(function () {
  "use strict";

  // ---------------------------------------------------------------- live updates
  // The stream says *that* something changed; htmx elements listening for "sd:work" or
  // "sd:ticket" (hx-trigger="sd:work from:body") fetch their part again.
  function connect() {
    if (document.body.dataset.live !== "1" || !window.EventSource) return;
    var state = document.getElementById("live-state");
    var shown = document.body.dataset.ticketId;
    var source = new EventSource(shown ? "/live?ticket=" + encodeURIComponent(shown) : "/live");
    source.onopen = function () { if (state) { state.classList.add("on"); state.title = state.dataset.on; } };
    source.onerror = function () { if (state) { state.classList.remove("on"); state.title = state.dataset.off; } };
    source.addEventListener("work", function () {
      document.body.dispatchEvent(new CustomEvent("sd:work", { bubbles: true }));
    });
    source.addEventListener("ticket", function (event) {
      var shown = document.body.dataset.ticketId;
      var data = {};
      try { data = JSON.parse(event.data); } catch (e) { return; }
      if (shown && data.ticket_id === shown) {
        document.body.dispatchEvent(new CustomEvent("sd:ticket", { bubbles: true }));
      }
    });
  }

  // ---------------------------------------------------------------- shortcuts
  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("[data-row]")); }

  function select(delta) {
    var all = rows();
    if (!all.length) return;
    var index = all.findIndex(function (row) { return row.classList.contains("selected"); });
    if (index >= 0) all[index].classList.remove("selected");
    index = Math.max(0, Math.min(all.length - 1, index + delta));
    all[index].classList.add("selected");
    all[index].scrollIntoView({ block: "nearest" });
  }

  function focusForm(name) {
    var form = document.querySelector('[data-action="' + name + '"]');
    if (!form) return false;
    var details = form.closest("details");
    if (details) details.open = true;
    var field = form.querySelector("textarea, input:not([type=hidden]), select");
    if (field) field.focus();
    else { var button = form.querySelector("button"); if (button) button.focus(); }
    return true;
  }

  var pendingG = false;
  document.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter" && typing(event.target)) {
      var form = event.target.form;
      if (form) { event.preventDefault(); form.requestSubmit(); }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var key = event.key;
    if (pendingG) {
      pendingG = false;
      var link = document.querySelector('[data-shortcut="g ' + key + '"]');
      if (link) { event.preventDefault(); link.click(); }
      return;
    }
    if (key === "g") { pendingG = true; setTimeout(function () { pendingG = false; }, 1200); return; }
    if (key === "/") { var box = document.getElementById("search-box"); if (box) { event.preventDefault(); box.focus(); } return; }
    if (key === "?") { var help = document.getElementById("shortcuts"); if (help && help.showModal) help.showModal(); return; }
    if (key === "j") { select(1); return; }
    if (key === "k") { select(-1); return; }
    if (key === "Enter") {
      var chosen = document.querySelector("[data-row].selected a");
      if (chosen) { event.preventDefault(); chosen.click(); }
      return;
    }
    var actions = { r: "reply", n: "note", a: "accept", e: "resolve" };
    if (actions[key] && focusForm(actions[key])) event.preventDefault();
  });

  // ---------------------------------------------------------------- insert into reply
  // Buttons with data-insert put their text into the reply box (knowledge-base
  // suggestions, canned replies), at the cursor, and focus it.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-insert]");
    if (!button) return;
    var box = document.getElementById(button.dataset.target || "reply-text");
    if (!box) return;
    var text = button.dataset.insert;
    var start = box.selectionStart || box.value.length;
    var before = box.value.slice(0, start), after = box.value.slice(box.selectionEnd || start);
    var joint = before && !/\n$/.test(before) ? "\n" : "";
    box.value = before + joint + text + after;
    var details = box.closest("details");
    if (details) details.open = true;
    box.focus();
    box.dispatchEvent(new Event("input", { bubbles: true }));
  });

  // After the live part of the ticket page is swapped, the forms act on the version the
  // person now sees (a change they have not seen still makes the action stale).
  document.addEventListener("htmx:afterSwap", function (event) {
    var live = document.getElementById("ticket-live");
    if (!live || !live.dataset.version) return;
    document.querySelectorAll("input.expected-version").forEach(function (input) {
      input.value = live.dataset.version;
    });
  });

  document.addEventListener("DOMContentLoaded", function () {
    connect();
    var open = document.getElementById("shortcuts-open");
    var help = document.getElementById("shortcuts");
    if (open && help) open.addEventListener("click", function () { help.showModal(); });
  });
})();
