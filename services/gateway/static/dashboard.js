// Ops dashboard (G8): polls the warnings API through the gateway, no build step, no library.
// The credential is entered once (or given as `#key=...` for a wall display: a fragment is
// never sent to a server) and kept in sessionStorage; every data call sends it as a Bearer.
"use strict";

(() => {
  const STORE = "loanrisk.dashboard.credential";
  const POLL_MS = 3000;
  const SLOW_MS = 30000;
  const LIST_LIMIT = 500;
  const SHOWN = { deadlines: 16, warnings: 10, escalations: 8, collection: 20 };
  const DETAIL_FETCHES = 10;

  const state = {
    credential: null,
    timer: null,
    ticker: null,
    skewMs: 0,
    etag: null,
    warnings: [],
    deadlines: [],
    details: new Map(), // warning id -> {updatedAt, escalations}
    lastLevels: new Map(),
    lastOk: 0,
    lastSlow: 0,
    me: null,
  };

  const $ = (id) => document.getElementById(id);

  class AuthError extends Error {}

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "class") node.className = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child !== null && child !== undefined) {
        node.append(child instanceof Node ? child : document.createTextNode(String(child)));
      }
    }
    return node;
  }

  function now() {
    return Date.now() + state.skewMs;
  }

  async function problemText(response) {
    try {
      const body = await response.json();
      return body.detail || body.title || `HTTP ${response.status}`;
    } catch (e) {
      return `HTTP ${response.status}`;
    }
  }

  async function api(path, headers) {
    const response = await fetch(path, {
      headers: Object.assign(
        { Authorization: `Bearer ${state.credential}`, Accept: "application/json" },
        headers || {},
      ),
      cache: "no-store",
      credentials: "omit",
    });
    if (response.status === 401) throw new AuthError(await problemText(response));
    return response;
  }

  async function json(path) {
    const response = await api(path);
    if (!response.ok) throw new Error(`${path}: ${await problemText(response)}`);
    return response.json();
  }

  // -- formatting ---------------------------------------------------------------------------

  function two(n) {
    return String(n).padStart(2, "0");
  }

  function span(ms) {
    const total = Math.floor(Math.abs(ms) / 1000);
    const days = Math.floor(total / 86400);
    const clock = `${two(Math.floor((total % 86400) / 3600))}:${two(Math.floor((total % 3600) / 60))}:${two(total % 60)}`;
    return days > 0 ? `${days}d ${clock}` : clock;
  }

  function localTime(iso) {
    const d = new Date(iso);
    return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
  }

  function words(text) {
    return String(text || "").replaceAll("_", " ");
  }

  function subject(item) {
    if (item.loan_id) return `loan ${item.loan_id}`;
    if (item.borrower_id) return `borrower ${item.borrower_id}`;
    return "";
  }

  function chip(level) {
    return el("span", { class: `chip ${level}` }, level);
  }

  function empty(list, text) {
    list.replaceChildren(el("li", { class: "empty" }, text));
  }

  // -- countdowns (client-side, every second) -------------------------------------------------

  function renderCountdown(node) {
    const left = Number(node.dataset.deadline) - now();
    node.textContent = left >= 0 ? `in ${span(left)}` : `overdue ${span(left)}`;
    node.classList.toggle("overdue", left < 0);
    node.classList.toggle("soon", left >= 0 && left < 24 * 3600 * 1000);
  }

  function tick() {
    const t = new Date(now());
    $("clock").textContent = `${two(t.getHours())}:${two(t.getMinutes())}:${two(t.getSeconds())}`;
    document.querySelectorAll("[data-deadline]").forEach(renderCountdown);
    const dot = $("status-dot");
    if (state.lastOk && Date.now() - state.lastOk > 3 * POLL_MS && dot.classList.contains("ok")) {
      dot.className = "dot stale";
      $("status-text").textContent = "stale";
    }
  }

  // -- panels --------------------------------------------------------------------------------

  function setCount(id, value) {
    const tile = $(id);
    const node = tile.querySelector(".count");
    const text = String(value ?? 0);
    if (node.textContent !== text && node.textContent !== "–") {
      tile.classList.remove("flash");
      void tile.offsetWidth; // restart the animation
      tile.classList.add("flash");
    }
    node.textContent = text;
    tile.classList.toggle("nonzero", Number(value) > 0);
  }

  function renderSummary(summary) {
    const levels = summary.open_by_level || {};
    setCount("tile-red", levels.red);
    setCount("tile-orange", levels.orange);
    setCount("tile-yellow", levels.yellow);
    setCount("tile-overdue", summary.overdue);
    setCount("tile-due-soon", summary.due_soon);
    setCount("tile-updates-missing", summary.updates_missing);
    const branches = Object.entries(summary.by_branch || {}).sort((a, b) => b[1] - a[1]);
    const list = $("branches");
    if (!branches.length) return empty(list, "No open warnings.");
    const top = Math.max(...branches.map(([, n]) => n));
    list.replaceChildren(
      ...branches.map(([branch, n]) => {
        const fill = el("div", { class: "fill" });
        fill.style.width = `${(100 * n) / top}%`;
        return el(
          "li",
          { "data-branch": branch },
          el("span", { class: "what" }, branch),
          el("div", { class: "track" }, fill),
          el("span", { class: "n" }, n),
        );
      }),
    );
  }

  function renderDeadlines() {
    const list = $("deadlines");
    if (!state.deadlines.length) return empty(list, "No report is due.");
    list.replaceChildren(
      ...state.deadlines.slice(0, SHOWN.deadlines).map((d) => {
        const countdown = el("span", { class: "countdown" });
        countdown.dataset.deadline = String(Date.parse(d.deadline));
        renderCountdown(countdown);
        const step = d.step === "branch" ? "report to branch" : "report to head office";
        return el(
          "li",
          { "data-warning": d.warning_id },
          chip(d.level),
          el("span", { class: "what" }, `${step} · ${d.org}`),
          countdown,
          el("span", { class: "sub" }, `${words(d.kind)} · ${subject(d)} · due ${localTime(d.deadline)}`),
        );
      }),
    );
  }

  function renderWarnings() {
    const list = $("warnings");
    if (!state.warnings.length) return empty(list, "No open warning.");
    list.replaceChildren(
      ...state.warnings.slice(0, SHOWN.warnings).map((w) =>
        el(
          "li",
          { "data-warning": w.id },
          chip(w.level),
          el("span", { class: "what" }, `${words(w.kind)} · ${subject(w)}`),
          el("span", { class: "mono" }, localTime(w.raised_at)),
          el("span", { class: "sub" }, `${w.org} · ${words(w.state)} · ${w.detail}`),
        ),
      ),
    );
  }

  function renderEscalations() {
    const all = [];
    for (const [id, detail] of state.details) {
      for (const e of detail.escalations) all.push(Object.assign({ id }, e));
    }
    all.sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
    const list = $("escalations");
    if (!all.length) return empty(list, "No escalation among the open warnings.");
    list.replaceChildren(
      ...all.slice(0, SHOWN.escalations).map((e) =>
        el(
          "li",
          { "data-warning": e.id },
          chip(e.level),
          el("span", { class: "what" }, `${e.from || "?"} → ${e.level} · ${e.subject}`),
          el("span", { class: "mono" }, localTime(e.at)),
          el("span", { class: "sub" }, `${e.org}${e.why ? ` · ${e.why}` : ""}`),
        ),
      ),
    );
  }

  // -- data ----------------------------------------------------------------------------------

  async function loadSummary() {
    renderSummary(await json("/warnings/v1/summary"));
  }

  async function loadDeadlines() {
    const rows = await json("/warnings/v1/deadlines");
    state.deadlines = rows.sort((a, b) => Date.parse(a.deadline) - Date.parse(b.deadline));
    renderDeadlines();
  }

  async function loadWarnings() {
    const headers = state.etag ? { "If-None-Match": state.etag } : {};
    const response = await api(`/warnings/v1/warnings?state=open&limit=${LIST_LIMIT}`, headers);
    if (response.status === 304) return;
    if (!response.ok) throw new Error(`warnings: ${await problemText(response)}`);
    const page = await response.json();
    state.etag = response.headers.get("ETag");
    state.warnings = page.items;
    renderWarnings();
    await loadEscalations();
  }

  // Escalations are in each warning's history: read the details of the open warnings that
  // changed since they were raised (most recent first), once per change.
  async function loadEscalations() {
    const open = new Set(state.warnings.map((w) => w.id));
    for (const id of [...state.details.keys()]) if (!open.has(id)) state.details.delete(id);
    const changed = state.warnings
      .filter((w) => w.updated_at !== w.raised_at)
      .filter((w) => (state.details.get(w.id) || {}).updatedAt !== w.updated_at)
      .sort((a, b) => Date.parse(b.updated_at) - Date.parse(a.updated_at))
      .slice(0, DETAIL_FETCHES);
    await Promise.all(
      changed.map(async (w) => {
        let detail;
        try {
          detail = await json(`/warnings/v1/warnings/${encodeURIComponent(w.id)}`);
        } catch (error) {
          if (error instanceof AuthError) throw error;
          return; // closed meanwhile: the next list will not have it
        }
        const escalations = (detail.history || [])
          .filter((h) => h.action === "escalated")
          .map((h) => ({
            at: h.at,
            level: h.level,
            from: (h.detail || {}).from,
            why: (h.detail || {}).detail,
            org: w.org,
            subject: `${words(w.kind)} · ${subject(w)}`,
          }));
        state.details.set(w.id, { updatedAt: w.updated_at, escalations });
      }),
    );
    renderEscalations();
  }

  function officerRow(o, chipClass, chipText, detail, sub) {
    return el(
      "li",
      { "data-officer": o.officer_id },
      el("span", { class: `chip ${chipClass}` }, chipText),
      el("span", { class: "what" }, `${o.name} (${o.officer_id})`),
      el("span", { class: "mono" }, detail),
      el("span", { class: "sub" }, sub),
    );
  }

  // One poll of the O22/O23 ranking: yellow cards, O23 collection duty and O5 assignments.
  async function loadOfficers() {
    const list = $("collection");
    const cards = $("yellow-cards");
    const response = await api("/officers/v1/liability/ranking");
    if (response.status === 403) {
      empty(cards, "Not visible to this credential.");
      return empty(list, "Not visible to this credential.");
    }
    if (!response.ok) throw new Error(`officers: ${await problemText(response)}`);
    const ranking = await response.json();
    const limit = ranking.policy.yellow_card_balance;
    const yellow = ranking.officers
      .filter((o) => o.yellow_card)
      .sort((a, b) => Number(b.npl_balance) - Number(a.npl_balance));
    if (!yellow.length) empty(cards, `No officer's NPL balance is above ${limit}.`);
    else
      cards.replaceChildren(
        ...yellow.slice(0, SHOWN.collection).map((o) =>
          officerRow(o, "yellow", "O23", o.npl_balance, `${o.org} · ${o.county} · above ${limit}`),
        ),
      );
    const duty = ranking.officers.filter((o) => o.status === "collection" || o.collection_duty);
    if (!duty.length) return empty(list, "No officer is on collection duty.");
    list.replaceChildren(
      ...duty.slice(0, SHOWN.collection).map((o) => {
        if (o.status === "collection") {
          const until = o.collection_until ? `until ${o.collection_until}` : "";
          return officerRow(o, "orange", "O5", until, `${o.org} · collection assignment`);
        }
        const why = `rank ${o.rank} in ${o.county}, largest ${ranking.policy.bottom_count}`;
        return officerRow(o, "orange", "O23", o.npl_balance, `${o.org} · ${why}`);
      }),
    );
  }

  async function loadMe() {
    const sent = Date.now();
    const me = await json("/v1/me");
    const received = Date.now();
    state.skewMs = Date.parse(me.server_time) - (sent + received) / 2;
    state.me = me;
    $("who").textContent = `${me.name} · ${me.roles.join(", ")} · ${me.org}`;
    $("scope").textContent = `Scope: ${me.org} and below`;
  }

  function setStatus(kind, text) {
    $("status-dot").className = `dot ${kind}`;
    $("status-text").textContent = text;
  }

  async function poll() {
    state.timer = null;
    try {
      const slow = Date.now() - state.lastSlow > SLOW_MS;
      const calls = [loadSummary(), loadWarnings(), loadDeadlines()];
      if (slow) calls.push(loadMe(), loadOfficers());
      await Promise.all(calls);
      if (slow) state.lastSlow = Date.now();
      state.lastOk = Date.now();
      setStatus("ok", "live");
      $("updated").textContent = `Updated ${new Date().toLocaleTimeString()}`;
    } catch (error) {
      if (error instanceof AuthError) return signOut(error.message);
      setStatus("down", error.message || "unreachable");
    }
    if (state.credential) state.timer = setTimeout(poll, POLL_MS);
  }

  // -- sign in / out -------------------------------------------------------------------------

  function start() {
    $("login").hidden = true;
    $("board").hidden = false;
    $("sign-out").hidden = false;
    state.lastSlow = 0;
    if (!state.ticker) state.ticker = setInterval(tick, 1000);
    tick();
    poll();
  }

  function signOut(message) {
    sessionStorage.removeItem(STORE);
    state.credential = null;
    state.etag = null;
    state.details.clear();
    if (state.timer) clearTimeout(state.timer);
    state.timer = null;
    $("board").hidden = true;
    $("sign-out").hidden = true;
    $("login").hidden = false;
    $("who").textContent = "";
    $("login-error").textContent = message || "";
    setStatus("", "signed out");
    $("credential").focus();
  }

  function init() {
    if (location.hash.startsWith("#key=")) {
      sessionStorage.setItem(STORE, decodeURIComponent(location.hash.slice(5)));
      history.replaceState(null, "", location.pathname + location.search);
    }
    $("login-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const value = $("credential").value.trim();
      if (!value) return;
      $("credential").value = "";
      sessionStorage.setItem(STORE, value);
      state.credential = value;
      start();
    });
    $("sign-out").addEventListener("click", () => signOut(""));
    state.credential = sessionStorage.getItem(STORE);
    if (state.credential) start();
    else signOut("");
  }

  init();
})();
