// Ops dashboard (G8): polls the warnings API through the gateway, no build step, no library.
// The credential is entered once (or given as `#key=...` for a wall display: a fragment is
// never sent to a server) and kept in sessionStorage; every data call sends it as a Bearer.
//
// Polling (issue 13): one poll every 3 s makes at most one request per source below, whatever
// the size of the book: summary, the first page of open warnings, the first page of deadlines
// and the latest escalations, plus /v1/me and the officers' ranking every 30 s (at most 6;
// the ranking's first page of flagged officers only: yellow cards, duty, O5 assignments).
// Each source sends the ETag of its last answer (a 304 keeps its panel as it is), fails on its
// own (its panel is marked stale with the time of its last good data, the others go on) and
// backs off while it fails (6, 12, 24, then every 30 s), back to every poll once it answers.
"use strict";

(() => {
  const STORE = "loanrisk.dashboard.credential";
  const POLL_MS = 3000;
  const SLOW_MS = 30000;
  const MAX_BACKOFF_MS = 30000;
  const TIMEOUT_MS = 10000;
  const SHOWN = { deadlines: 16, warnings: 10, escalations: 8, collection: 20, flagged: 40 };
  const MAX_ROWS = 1000; // the API's largest page: the most deadlines one poll refreshes

  const state = {
    credential: null,
    session: 0, // bumped by sign in / out: answers of an older session are dropped
    timer: null,
    ticker: null,
    skewMs: 0,
    deadlines: [],
    deadlineRows: SHOWN.deadlines, // rows the poll asks for: the first page plus "more" pages
    deadlineCursor: null,
    moreBusy: false,
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
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (response.status === 401) throw new AuthError(await problemText(response));
    return response;
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

  function clockTime(ms) {
    const d = new Date(ms);
    return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
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
    $("clock").textContent = clockTime(now());
    document.querySelectorAll("[data-deadline]").forEach(renderCountdown);
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
    const more = $("deadlines-more");
    more.hidden = !state.deadlineCursor || state.deadlines.length >= MAX_ROWS;
    if (!state.deadlines.length) return empty(list, "No report is due.");
    list.replaceChildren(
      ...state.deadlines.map((d) => {
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

  function renderWarnings(page) {
    const list = $("warnings");
    if (!page.items.length) return empty(list, "No open warning.");
    list.replaceChildren(
      ...page.items.map((w) =>
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

  function renderEscalations(page) {
    const list = $("escalations");
    if (!page.items.length) return empty(list, "No escalation among the open warnings.");
    list.replaceChildren(
      ...page.items.map((e) =>
        el(
          "li",
          { "data-warning": e.warning_id },
          chip(e.level),
          el(
            "span",
            { class: "what" },
            `${e.from_level || "?"} → ${e.level} · ${words(e.kind)} · ${subject(e)}`,
          ),
          el("span", { class: "mono" }, localTime(e.at)),
          el("span", { class: "sub" }, `${e.org}${e.why ? ` · ${e.why}` : ""}`),
        ),
      ),
    );
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
  function renderOfficers(ranking) {
    const list = $("collection");
    const cards = $("yellow-cards");
    if (!ranking) {
      empty(cards, "Not visible to this credential.");
      return empty(list, "Not visible to this credential.");
    }
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

  function renderMe(me, sent, received) {
    state.skewMs = Date.parse(me.server_time) - (sent + received) / 2;
    state.me = me;
    $("who").textContent = `${me.name} · ${me.roles.join(", ")} · ${me.org}`;
    $("scope").textContent = `Scope: ${me.org} and below`;
  }

  // -- sources: one request each per poll, own ETag, own failures -----------------------------

  function deadlinesPage(page) {
    state.deadlines = page.items;
    state.deadlineCursor = page.next_cursor;
    renderDeadlines();
  }

  const SOURCES = [
    {
      name: "summary",
      panels: ["tiles", "panel-branches"],
      url: () => "/warnings/v1/summary",
      render: renderSummary,
    },
    {
      name: "warnings",
      panels: ["panel-warnings"],
      url: () => `/warnings/v1/warnings?state=open&limit=${SHOWN.warnings}`,
      render: renderWarnings,
    },
    {
      name: "deadlines",
      panels: ["panel-deadlines"],
      url: () => `/warnings/v1/deadlines?limit=${state.deadlineRows}`,
      render: deadlinesPage,
    },
    {
      name: "escalations",
      panels: ["panel-escalations"],
      url: () => `/warnings/v1/escalations?limit=${SHOWN.escalations}`,
      render: renderEscalations,
    },
    { name: "me", panels: [], every: SLOW_MS, url: () => "/v1/me", render: renderMe },
    {
      name: "officers",
      panels: ["panel-officers"],
      every: SLOW_MS,
      url: () => `/officers/v1/liability/ranking?flagged=true&limit=${SHOWN.flagged}`,
      render: renderOfficers,
      forbidden: () => renderOfficers(null), // a credential without the officers' read roles
    },
  ];

  function resetSources() {
    for (const s of SOURCES) {
      Object.assign(s, { etag: null, etagUrl: null, busy: false, nextAt: 0, failures: 0 });
      Object.assign(s, { lastGood: 0, error: "" });
      markStale(s);
    }
  }

  function markStale(source) {
    const stale = source.failures > 0;
    const good = source.lastGood && clockTime(source.lastGood + state.skewMs);
    const since = good ? `last good data ${good}` : "no data yet";
    for (const id of source.panels) {
      const panel = $(id);
      panel.classList.toggle("stale", stale);
      let note = panel.querySelector(":scope > .stale-note");
      if (!stale) {
        if (note) note.remove();
        continue;
      }
      if (!note) {
        note = el("p", { class: "stale-note", role: "status" });
        panel.prepend(note);
      }
      note.textContent = `Stale: ${since} (${source.error})`;
      note.dataset.since = String(source.lastGood);
    }
  }

  // Every POLL_MS while failing doubles the wait (6, 12, 24 s), at most MAX_BACKOFF_MS.
  function backoff(source) {
    const wait = Math.min(POLL_MS * 2 ** source.failures, MAX_BACKOFF_MS);
    return Math.max(source.every || POLL_MS, wait);
  }

  async function load(source, session) {
    const url = source.url();
    const started = Date.now();
    const headers = source.etag && source.etagUrl === url ? { "If-None-Match": source.etag } : {};
    source.busy = true;
    try {
      const response = await api(url, headers);
      const received = Date.now();
      if (session !== state.session) return;
      if (source.url() !== url) {
        source.nextAt = 0; // the list was widened meanwhile ("more"): ask again next poll
        return;
      }
      if (response.status === 403 && source.forbidden) source.forbidden();
      else if (response.status !== 304) {
        if (!response.ok) throw new Error(await problemText(response));
        const body = await response.json();
        if (session !== state.session) return;
        source.render(body, started, received);
        source.etag = response.headers.get("ETag");
        source.etagUrl = url;
      }
      source.failures = 0;
      source.lastGood = received;
      source.nextAt = started + (source.every || POLL_MS);
    } catch (error) {
      if (session !== state.session) return;
      if (error instanceof AuthError) return signOut(error.message);
      source.failures += 1;
      source.error = error.name === "TimeoutError" ? "no answer" : error.message || "unreachable";
      source.nextAt = started + backoff(source);
    } finally {
      if (session === state.session) source.busy = false;
    }
    markStale(source);
  }

  function setStatus(kind, text) {
    $("status-dot").className = `dot ${kind}`;
    $("status-text").textContent = text;
  }

  function showStatus() {
    if (!state.credential) return;
    const failing = SOURCES.filter((s) => s.failures > 0);
    if (!failing.length) setStatus("ok", "live");
    else if (failing.length === SOURCES.length) setStatus("down", failing[0].error);
    else setStatus("stale", `stale: ${failing.map((s) => s.name).join(", ")}`);
    const good = Math.max(...SOURCES.map((s) => s.lastGood));
    if (good) $("updated").textContent = `Updated ${clockTime(good + state.skewMs)}`;
  }

  // One poll: every source that is due and not still waiting for its last answer.
  function poll() {
    state.timer = setTimeout(poll, POLL_MS);
    const at = Date.now();
    const session = state.session;
    const due = SOURCES.filter((s) => !s.busy && at >= s.nextAt);
    Promise.allSettled(due.map((s) => load(s, session))).then(showStatus);
  }

  // "More": the next page after the rows shown (a user action, appended). The poll then asks
  // for that many rows from the start, still one request, so the longer list stays current.
  async function more() {
    if (!state.deadlineCursor || state.moreBusy) return;
    const button = $("deadlines-more");
    const session = state.session;
    const limit = Math.min(SHOWN.deadlines, MAX_ROWS - state.deadlines.length);
    const cursor = encodeURIComponent(state.deadlineCursor);
    state.moreBusy = true;
    button.disabled = true;
    try {
      const response = await api(`/warnings/v1/deadlines?limit=${limit}&cursor=${cursor}`);
      if (!response.ok) throw new Error(await problemText(response));
      const page = await response.json();
      if (session !== state.session) return;
      const key = (d) => `${d.warning_id}/${d.step}`;
      const shown = new Set(state.deadlines.map(key));
      state.deadlines = state.deadlines.concat(page.items.filter((d) => !shown.has(key(d))));
      state.deadlineRows = Math.min(MAX_ROWS, state.deadlineRows + limit);
      state.deadlineCursor = page.next_cursor;
      button.textContent = "More";
      renderDeadlines();
    } catch (error) {
      if (error instanceof AuthError) return signOut(error.message);
      button.textContent = "More (failed, try again)";
    } finally {
      state.moreBusy = false;
      button.disabled = false;
    }
  }

  // -- sign in / out -------------------------------------------------------------------------

  function start() {
    $("login").hidden = true;
    $("board").hidden = false;
    $("sign-out").hidden = false;
    state.session += 1;
    resetSources();
    if (!state.ticker) state.ticker = setInterval(tick, 1000);
    tick();
    poll();
  }

  function signOut(message) {
    sessionStorage.removeItem(STORE);
    state.credential = null;
    state.session += 1;
    state.deadlines = [];
    state.deadlineRows = SHOWN.deadlines;
    state.deadlineCursor = null;
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
    $("deadlines-more").addEventListener("click", more);
    state.credential = sessionStorage.getItem(STORE);
    if (state.credential) start();
    else signOut("");
  }

  init();
})();
