// exodus explore: the page. It asks the server for the scenario and its controls, sends each
// change (debounced) to POST /api/run, and draws the run's days as they stream in
// (server-sent events) beside the baseline. Everything it loads comes from this server.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const page = (self.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random();
  let S = null;                 // the scenario, as GET /api/scenario gives it
  const original = new Map();   // path -> value in the file
  const values = new Map();     // path -> current value
  const removed = new Set();    // ids of events switched off
  const added = [];             // events added
  let changed = null;           // changed[metric][platform][day]
  let source = null;            // the EventSource of the run in progress
  let seq = 0;                  // the number of the page's latest change
  let timer = null;
  let metric = 0;
  let charts = [];
  let redraw = false;

  const number = new Intl.NumberFormat("en", { maximumSignificantDigits: 3, notation: "compact" });
  const fmt = (x) => (x == null || !isFinite(x)) ? "—" : number.format(x);

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children) if (c) e.append(c);
    return e;
  }

  function status(text, bad) {
    $("status").textContent = text;
    $("status").classList.toggle("bad", !!bad);
  }

  // ---- controls -----------------------------------------------------------------------------
  function buildControls() {
    const sections = new Map();
    for (const c of S.controls) {
      if (!sections.has(c.section)) sections.set(c.section, []);
      sections.get(c.section).push(c);
      original.set(c.path, c.value);
      values.set(c.path, c.value);
    }
    const box = $("sections");
    let first = true;
    for (const [name, list] of sections) {
      const d = el("details", { open: first });
      first = false;
      d.append(el("summary", { text: name }));
      for (const c of list) d.append(control(c));
      box.append(d);
    }
  }

  function control(c) {
    const id = "c-" + c.path.replace(/[^A-Za-z0-9]+/g, "-");
    const wrap = el("div", { class: "control", "data-path": c.path });
    const undo = el("button", { type: "button", class: "undo", title: "Back to the file's value", text: "↺", hidden: true });
    const error = el("div", { class: "error", role: "alert" });
    if (c.kind === "switch") {
      const box = el("input", { type: "checkbox", id, checked: c.value === true });
      box.addEventListener("change", () => set(c.path, box.checked, wrap, undo));
      undo.addEventListener("click", () => { box.checked = c.value; set(c.path, c.value, wrap, undo); });
      wrap.append(el("div", { class: "row" }, box, el("label", { for: id, text: c.label }), undo), error);
      return wrap;
    }
    const step = c.whole ? 1 : "any";
    const num = el("input", { type: "number", id, step, value: c.value, min: c.min, max: c.max, "aria-label": c.label });
    const row = el("div", { class: "row" });
    let slider = null;
    if (c.min != null && c.max != null && c.max - c.min <= 1000) {
      const span = c.max - c.min;
      slider = el("input", { type: "range", min: c.min, max: c.max, step: c.whole ? 1 : span / 1000, value: c.value, "aria-label": c.label + " (slider)" });
      slider.addEventListener("input", () => { num.value = slider.value; set(c.path, Number(slider.value), wrap, undo); });
      row.append(slider);
    }
    num.addEventListener("input", () => {
      if (num.value === "" || !isFinite(Number(num.value))) return;
      if (slider) slider.value = num.value;
      set(c.path, Number(num.value), wrap, undo);
    });
    undo.addEventListener("click", () => {
      num.value = c.value;
      if (slider) slider.value = c.value;
      set(c.path, c.value, wrap, undo);
    });
    row.append(num, undo);
    const range = (c.min != null) ? el("div", { class: "range", text: `allowed ${c.min} ..= ${c.max}` }) : null;
    wrap.append(el("label", { for: id, text: c.label }), row, range, error);
    return wrap;
  }

  function set(path, value, wrap, undo) {
    values.set(path, value);
    const differs = value !== original.get(path);
    if (wrap) wrap.classList.toggle("changed", differs);
    if (undo) undo.hidden = !differs;
    schedule();
  }

  // ---- events -------------------------------------------------------------------------------
  function buildEvents() {
    const body = $("events").querySelector("tbody");
    for (const e of S.events) {
      const row = el("tr");
      const on = el("input", { type: "checkbox", checked: true, disabled: !e.id, "aria-label": "event on" });
      const date = el("input", { type: "date", value: e.date, disabled: !e.id, "aria-label": "event date" });
      if (e.id) {
        const path = `events.${e.id}.date`;
        original.set(path, e.date);
        values.set(path, e.date);
        on.addEventListener("change", () => {
          if (on.checked) removed.delete(e.id); else removed.add(e.id);
          row.classList.toggle("off", !on.checked);
          schedule();
        });
        date.addEventListener("change", () => { if (date.value) { values.set(path, date.value); schedule(); } });
      }
      row.append(el("td", {}, on), el("td", {}, date), el("td", { text: e.action }), el("td", { text: e.platform || "" }), el("td", { text: e.label || (e.id || "") }));
      body.append(row);
    }
    for (const a of S.actions) $("new-action").append(el("option", { value: a, text: a }));
    $("new-platform").append(el("option", { value: "", text: "(none)" }));
    for (const p of S.platforms) $("new-platform").append(el("option", { value: p, text: p }));
    $("new-date").value = S.dates[Math.min(S.dates.length - 1, Math.floor(S.dates.length / 2))];
  }

  function addEvent() {
    const e = { date: $("new-date").value, action: $("new-action").value, label: $("new-label").value || "added in explore" };
    if ($("new-platform").value) e.platform = $("new-platform").value;
    if ($("new-value").value !== "") e.value = Number($("new-value").value);
    if ($("new-until").value) e.until = $("new-until").value;
    if (!e.date) { status("An added event needs a date.", true); return; }
    added.push(e);
    listAdded();
    schedule();
  }

  function listAdded() {
    const list = $("added");
    list.replaceChildren();
    added.forEach((e, i) => {
      const drop = el("button", { type: "button", text: "remove" });
      drop.addEventListener("click", () => { added.splice(i, 1); listAdded(); schedule(); });
      list.append(el("li", { text: `${e.date} ${e.action}${e.platform ? " " + e.platform : ""}${e.value != null ? " " + e.value : ""} ` }, drop));
    });
  }

  // ---- the change ---------------------------------------------------------------------------
  function change() {
    const sets = [];
    for (const [path, v] of values) {
      if (v === original.get(path)) continue;
      // An event switched off is not also moved.
      const m = path.match(/^events\.(.+)\.date$/);
      if (m && removed.has(m[1])) continue;
      sets.push({ path, value: v });
    }
    return { sets, remove: [...removed], add: added.slice() };
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(send, 250);
  }

  function clearErrors() {
    $("general-errors").textContent = "";
    for (const e of document.querySelectorAll(".control .error")) e.textContent = "";
  }

  function showErrors(errors) {
    const general = [];
    for (const e of errors) {
      const wrap = e.path && document.querySelector(`.control[data-path="${CSS.escape(e.path)}"]`);
      if (wrap) {
        wrap.querySelector(".error").textContent = e.message;
        const d = wrap.closest("details");
        if (d) d.open = true;
      } else general.push(e.message);
    }
    $("general-errors").textContent = general.join("\n");
  }

  // The error list of a refused request, whatever its body.
  async function refused(r) {
    const text = await r.text();
    try { return JSON.parse(text).errors || []; } catch (e) { return [{ path: null, message: text || `the server answered ${r.status}` }]; }
  }

  async function send() {
    if (source) { source.close(); source = null; }
    const mine = ++seq;
    clearErrors();
    const body = JSON.stringify({ page, seq: mine, ...change() });
    let r;
    try {
      r = await fetch("/api/run", { method: "POST", headers: { "content-type": "application/json" }, body });
    } catch (err) {
      if (mine === seq) status("The server does not answer (was exodus explore stopped?)", true);
      return;
    }
    if (mine !== seq) return; // a newer change was sent meanwhile
    if (!r.ok) {
      const errors = await refused(r);
      if (mine !== seq || r.status === 409) return;
      showErrors(errors);
      document.body.dataset.state = "invalid";
      if (r.status === 422) status("Not run: fix the values marked in red.", true);
      else if (r.status === 429) status("Not run: the server is busy with other pages' runs; change a value again in a moment.", true);
      else status(`Not run: the server answered ${r.status}.`, true);
      return;
    }
    const answer = await r.json();
    if (mine !== seq) return;
    $("command").textContent = answer.command;
    stream(answer.run);
  }

  function stream(id) {
    changed = S.metrics.map(() => S.platforms.map(() => new Array(S.dates.length).fill(null)));
    document.body.dataset.state = "running";
    document.body.dataset.days = "0";
    status("Running…");
    if (source) source.close();
    const es = new EventSource(`/api/runs/${id}`);
    source = es;
    let days = 0;
    es.addEventListener("day", (m) => {
      if (source !== es) return;
      const d = JSON.parse(m.data);
      d.values.forEach((perPlatform, k) => perPlatform.forEach((v, p) => { changed[k][p][d.day] = v; }));
      days += 1;
      document.body.dataset.days = String(days);
      status(`Running… day ${days} of ${S.dates.length}`);
      draw();
    });
    const end = (state, text, bad) => (m) => {
      es.close();
      if (source !== es) return;
      source = null;
      const info = m && m.data ? JSON.parse(m.data) : {};
      document.body.dataset.state = state;
      status(text(info), bad);
      draw();
    };
    es.addEventListener("done", end("done", (i) => `Done: ${S.dates.length} days in ${i.seconds.toFixed(2)} s. ${summary()}`));
    es.addEventListener("cancelled", end("cancelled", () => "Cancelled by a newer change."));
    es.addEventListener("stopped", end("stopped", (i) => `Stopped: ${i.reason}.`, true));
    es.onerror = () => {
      es.close();
      if (source !== es) return;
      source = null;
      if (document.body.dataset.state === "running") { status("The stream ended early.", true); document.body.dataset.state = "failed"; }
    };
  }

  // The change's effect on the last day, per platform, for the status line.
  function summary() {
    const last = S.dates.length - 1;
    const parts = S.platforms.map((p, i) => {
      const b = S.baseline[last].values[metric][i];
      const c = changed[metric][i][last];
      if (c == null) return null;
      const d = c - b;
      return `${p} ${d >= 0 ? "+" : ""}${fmt(d)}`;
    }).filter(Boolean);
    return `On ${S.dates[last]}, ${S.metrics[metric].replace(/_/g, " ")}: ${parts.join(", ")}.`;
  }

  // ---- charts -------------------------------------------------------------------------------
  function xs() { return S.dates.map((d) => Date.parse(d + "T00:00:00Z") / 1000); }

  function data() {
    const base = S.platforms.map((_, p) => S.baseline.map((d) => d.values[metric][p]));
    const now = changed ? changed[metric] : S.platforms.map(() => new Array(S.dates.length).fill(null));
    const main = [xs()];
    const diff = [xs()];
    S.platforms.forEach((_, p) => {
      main.push(base[p], now[p]);
      diff.push(now[p].map((v, t) => (v == null ? null : v - base[p][t])));
    });
    return [main, diff];
  }

  function buildCharts() {
    for (const c of charts) c.destroy();
    const width = Math.max(320, $("results").clientWidth - 10);
    const main = [{}];
    const diff = [{}];
    S.platforms.forEach((p, i) => {
      const color = S.colors[i];
      main.push({ label: `${p} (as loaded)`, stroke: color, width: 1.5, dash: [6, 4], value: (u, v) => fmt(v) });
      main.push({ label: p, stroke: color, width: 2.2, value: (u, v) => fmt(v) });
      diff.push({ label: p, stroke: color, width: 2, value: (u, v) => fmt(v) });
    });
    const axes = [{}, { values: (u, vals) => vals.map(fmt), size: 60 }];
    const [m, d] = data();
    charts = [
      new uPlot({ width, height: 380, series: main, axes, scales: { x: { time: true } }, legend: { live: true } }, m, $("chart")),
      new uPlot({ width, height: 240, series: diff, axes, scales: { x: { time: true } } }, d, $("diff")),
    ];
  }

  function draw() {
    if (redraw) return;
    redraw = true;
    requestAnimationFrame(() => {
      redraw = false;
      const [m, d] = data();
      charts[0].setData(m);
      charts[1].setData(d);
      // How many points of the changed run the chart holds (read by tests).
      $("chart").dataset.points = String(changed ? changed[metric].flat().filter((v) => v != null).length : 0);
    });
  }

  // ---- buttons ------------------------------------------------------------------------------
  async function download() {
    clearErrors();
    let r;
    try {
      r = await fetch("/api/file", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(change()) });
    } catch (err) {
      status("The server does not answer (was exodus explore stopped?)", true);
      return;
    }
    if (!r.ok) {
      showErrors(await refused(r));
      status(r.status === 422 ? "Not downloaded: fix the values marked in red." : `Not downloaded: the server answered ${r.status}.`, true);
      return;
    }
    const name = (r.headers.get("content-disposition") || "").match(/filename="([^"]+)"/);
    const blob = new Blob([await r.text()], { type: "application/toml" });
    const url = URL.createObjectURL(blob);
    const a = el("a", { href: url, download: name ? name[1] : "scenario-explored.toml" });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  function reset() {
    values.clear();
    removed.clear();
    added.length = 0;
    listAdded();
    $("sections").replaceChildren();
    $("events").querySelector("tbody").replaceChildren();
    original.clear();
    $("new-action").replaceChildren();
    $("new-platform").replaceChildren();
    buildControls();
    buildEvents();
    schedule();
  }

  async function init() {
    const r = await fetch("/api/scenario");
    S = await r.json();
    document.title = `${S.name} · exodus explore`;
    $("title").textContent = S.name;
    $("subtitle").textContent = `${S.file} · ${fmt(S.agents)} agents per run for ${fmt(S.people)} people · seed ${S.seed} · ${S.dates[0]} to ${S.dates[S.dates.length - 1]}`;
    $("agents").textContent = fmt(S.agents);
    $("version").textContent = `exodus ${S.exodus_version}`;
    S.metrics.forEach((m, i) => $("metric").append(el("option", { value: i, text: m.replace(/_/g, " ") })));
    $("metric").addEventListener("change", () => { metric = Number($("metric").value); draw(); });
    buildControls();
    buildEvents();
    buildCharts();
    $("reset").addEventListener("click", reset);
    $("add").addEventListener("click", addEvent);
    $("download").addEventListener("click", download);
    $("show-command").addEventListener("click", () => { $("command-box").hidden = !$("command-box").hidden; if (!$("command").textContent) $("command").textContent = `exodus run ${S.file}`; });
    $("copy-command").addEventListener("click", () => navigator.clipboard && navigator.clipboard.writeText($("command").textContent));
    let resize = null;
    window.addEventListener("resize", () => { clearTimeout(resize); resize = setTimeout(buildCharts, 200); });
    status("Showing the scenario as loaded. Change a value to run a what-if.");
    document.body.dataset.state = "ready";
    // ?set=PATH=VALUE (repeatable): changes made on load through the controls themselves (as if
    // typed), for links and tests; a path without a control (an event's date) is set directly.
    const params = new URLSearchParams(location.search);
    for (const s of params.getAll("set")) {
      const i = s.indexOf("=");
      if (i < 1) continue;
      const path = s.slice(0, i);
      const raw = s.slice(i + 1);
      const wrap = document.querySelector(`.control[data-path="${CSS.escape(path)}"]`);
      const box = wrap && wrap.querySelector("input[type=checkbox]");
      const num = wrap && wrap.querySelector("input[type=number]");
      if (box) {
        box.checked = raw === "true";
        box.dispatchEvent(new Event("change"));
      } else if (num) {
        num.value = raw;
        num.dispatchEvent(new Event("input"));
      } else {
        values.set(path, raw);
        schedule();
      }
    }
  }

  init().catch((err) => { status(`The page could not start: ${err}`, true); document.body.dataset.state = "failed"; });
})();
