"""G8 in a real browser: Debian's Chromium driven by Playwright opens the gateway's dashboard,
signs in, and sees a warning raised by an event appear without a reload (embedded mode: the
four services as uvicorn processes on SQLite, no broker)."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.async_api import (
    Browser,
    ConsoleMessage,
    Page,
    Request,
    Route,
    async_playwright,
    expect,
)

from tests.support.officers import (
    appoint,
    certify,
    figures,
    propose_and_approve,
    record,
    run,
    seed,
)
from tests.support.processes import embedded_stack

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ADMIN_KEY = "browser-admin-key"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
SH = ZoneInfo("Asia/Shanghai")
WAIT_MS = 25_000


@pytest.fixture
async def embedded(tmp_path: Path) -> AsyncIterator[str]:
    """The four services as processes on SQLite (`make run`'s setup); the gateway's URL."""
    async with embedded_stack(tmp_path, admin_key=ADMIN_KEY) as url:
        yield url


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} is missing: scripts/test.sh installs Debian's chromium package "
            "(apt-get install chromium) before running the suite",
            pytrace=False,
        )
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            await launched.close()


def arrears(event_id: str, loan: str, days: int, org: str = "HO/GZ/LS03") -> dict[str, Any]:
    now = datetime.now(SH)
    return {
        "event_id": event_id,
        "type": "interest.arrears",
        "occurred_at": now.isoformat(),
        "loan_id": loan,
        "org": org,
        "body": {"amount": "5200", "since": (now - timedelta(days=days - 1)).date().isoformat()},
    }


def disbursed(loan: str, org: str = "HO/GZ/LS03") -> dict[str, Any]:
    return {
        "event_id": f"d-{loan}",
        "type": "loan.disbursed",
        "occurred_at": datetime.now(SH).isoformat(),
        "loan_id": loan,
        "borrower_id": f"B-{loan}",
        "org": org,
        "body": {"amount": "2000000", "maturity_date": "2030-06-30"},
    }


def npl_loan(loan: str, officer: str, amount: str) -> list[dict[str, Any]]:
    """A ledger loan of `officer` classed substandard (counted by O22)."""
    at = datetime.now(SH).isoformat()
    officers = {"first_responsible": officer, "management_responsible": officer}
    body = {"amount": amount, "maturity_date": "2030-06-30", "officers": officers}
    base = {"loan_id": loan, "borrower_id": f"B-{loan}", "org": "HO/GZ/LS03", "occurred_at": at}
    classed = {"type": "loan.classified", "body": {"five_class": "substandard"}}
    return [
        base | {"event_id": f"d-{loan}", "type": "loan.disbursed", "body": body},
        base | {"event_id": f"c-{loan}"} | classed,
    ]


async def load_data(gateway: str) -> str:
    """An officer on collection duty (O5), one with a yellow card (O23, from the ledger), an
    escalated warning, and a viewer's key."""
    async with httpx.AsyncClient(base_url=gateway + "/officers", headers=ADMIN, timeout=30) as o:
        await seed(o, {"OF-B": "HO/GZ/LS03", "OF-C": "HO/GZ/LS03"})
        await certify(o, ["OF-B", "OF-C"], year=2021)
        await appoint(o, "OF-B", on="2021-06-01")
        await record(o, 2025, {"OF-B": figures(criticisms=9), "OF-C": figures()})
        graded = await run(o, org="HO/GZ")
        await propose_and_approve(o, graded["id"], on="2026-01-20")
        ledger = await o.post("/v1/ledger/events", json=npl_loan("L-C", "OF-C", "1200000"))
        assert ledger.status_code == 200, ledger.text
    async with httpx.AsyncClient(base_url=gateway, headers=ADMIN, timeout=30) as client:
        events = [disbursed("L-1"), arrears("a-1", "L-1", 40), disbursed("L-9", "HO/SZ/BA02")]
        assert (await client.post("/v1/events", json=events)).status_code == 202
        escalate = await client.post("/v1/events", json=arrears("a-2", "L-1", 100))
        assert escalate.status_code == 202
        issued = await client.post(
            "/v1/credentials",
            json={"name": "GZ ops wall", "roles": ["viewer"], "org": "HO/GZ"},
        )
        assert issued.status_code == 201, issued.text
        key: str = issued.json()["key"]
        return key


async def count(page: Page, tile: str) -> str:
    return await page.locator(f"#tile-{tile} .count").inner_text()


async def test_g8_the_dashboard_shows_a_new_warning_without_reload(
    embedded: str, browser: Browser, tmp_path: Path
) -> None:
    key = await load_data(embedded)
    page = await browser.new_page(viewport={"width": 1440, "height": 900})
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    page.on("console", on_console)
    page.on(
        "response",
        lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )

    await page.goto(embedded + "/dashboard")
    await page.locator("#login-form").wait_for(state="visible")
    await page.fill("#credential", key)
    await page.click("#login-form button[type=submit]")
    await expect(page.locator("#tile-red .count")).to_have_text("1", timeout=WAIT_MS)
    assert await page.locator("#who").inner_text() == "GZ ops wall · viewer · HO/GZ"
    # Scope: the Shenzhen loan exists but is not this viewer's; the escalation is listed.
    await page.locator("#escalations li[data-warning]").first.wait_for(timeout=WAIT_MS)
    assert "orange → red" in await page.locator("#escalations").inner_text()
    await page.locator("#collection li[data-officer='OF-B']").wait_for(timeout=WAIT_MS)
    assert "until 2026-07-19" in await page.locator("#collection").inner_text()
    await page.locator("#yellow-cards li[data-officer='OF-C']").wait_for(timeout=WAIT_MS)
    assert "1200000.00" in await page.locator("#yellow-cards").inner_text()
    assert "HO/GZ" in await page.locator("#branches").inner_text()

    # Live countdowns tick every second, client-side.
    countdown = page.locator("#deadlines .countdown").first
    before = await countdown.inner_text()
    assert before.startswith(("in ", "overdue "))
    await expect(countdown).not_to_have_text(before, timeout=5_000)

    # A new event raises a warning: it appears on the same page, no reload.
    await page.evaluate("window.__samePage = true")
    assert await count(page, "yellow") == "0"
    async with httpx.AsyncClient(base_url=embedded, headers=ADMIN, timeout=30) as client:
        posted = await client.post("/v1/events", json=[disbursed("L-2"), arrears("a-3", "L-2", 10)])
        assert posted.status_code == 202, posted.text
    await expect(page.locator("#tile-yellow .count")).to_have_text("1", timeout=WAIT_MS)
    await page.locator("#warnings li", has_text="loan L-2").wait_for(timeout=WAIT_MS)
    assert await page.evaluate("window.__samePage === true")
    assert "L-9" not in await page.locator("#board").inner_text()
    shot = tmp_path / "dashboard.png"
    await page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    assert problems == []


async def test_g8_wall_display_key_in_the_fragment_and_sign_out(
    embedded: str, browser: Browser, tmp_path: Path
) -> None:
    key = await load_data(embedded)
    page = await browser.new_page(viewport={"width": 1920, "height": 1080})
    await page.goto(f"{embedded}/dashboard#key={key}")
    await expect(page.locator("#tile-orange .count")).not_to_have_text("–", timeout=WAIT_MS)
    assert "#" not in page.url  # the key leaves the address bar at once
    assert await page.evaluate("sessionStorage.length") == 1
    await page.locator("#deadlines li[data-warning]").first.wait_for(timeout=WAIT_MS)
    shot = tmp_path / "dashboard-wall.png"
    await page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000

    # A revoked key signs the wall out at the next poll, with the reason.
    async with httpx.AsyncClient(base_url=embedded, headers=ADMIN, timeout=30) as client:
        listed = (await client.get("/v1/credentials")).json()["items"]
        revoked = await client.post(f"/v1/credentials/{listed[0]['id']}/revoke")
        assert revoked.status_code == 200
    await page.locator("#login-form").wait_for(state="visible", timeout=WAIT_MS)
    assert "revoked" in await page.locator("#login-error").inner_text()
    assert await page.evaluate("sessionStorage.length") == 0


# -- issue 13: a bounded poll whatever the book ------------------------------------------------

BOOK = 2_000
POLL_MS = 3_000
FAST = ("/warnings/v1/summary", "/warnings/v1/warnings", "/warnings/v1/deadlines",
        "/warnings/v1/escalations")  # fmt: skip
SLOW = ("/v1/me", "/officers/v1/liability/ranking")
PER_POLL = len(FAST) + len(SLOW)
DEADLINES = re.compile(r"/warnings/v1/deadlines\?")
# The page's own fetches, counted where they are made: the poll is over when none is pending.
COUNT_FETCHES = """(() => {
  const real = window.fetch.bind(window);
  window.__fetched = 0;
  window.__pending = 0;
  window.fetch = (...args) => {
    window.__fetched += 1;
    window.__pending += 1;
    return real(...args).finally(() => { window.__pending -= 1; });
  };
})();"""


async def load_book(gateway: str, size: int = BOOK) -> str:
    """`size` open warnings (interest arrears on distinct loans, batches of 1,000 events) and
    a viewer key for the wall, its own limit high enough for the fast-forwarded clock's polls."""
    async with httpx.AsyncClient(base_url=gateway, headers=ADMIN, timeout=120) as client:
        for start in range(0, size, 500):
            loans = [f"L-{i:05d}" for i in range(start, min(size, start + 500))]
            batch = [disbursed(loan) for loan in loans]
            batch += [arrears(f"a-{loan}", loan, 40) for loan in loans]
            posted = await client.post("/v1/events", json=batch)
            assert posted.status_code == 202, posted.text
        issued = await client.post(
            "/v1/credentials",
            json={
                "name": "GZ ops wall",
                "roles": ["viewer"],
                "org": "HO/GZ",
                "rate_limit": {"rate_per_s": 200, "burst": 600},
            },
        )
        assert issued.status_code == 201, issued.text
        key: str = issued.json()["key"]
        return key


class Polls:
    """The page's requests (Playwright's `request` event), cut into polls by the paused clock:
    `next()` runs the clock one poll interval and answers the requests that poll made."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.requests: list[Request] = []
        page.on("request", self._seen)

    def _seen(self, request: Request) -> None:
        if not urlsplit(request.url).path.startswith("/dashboard"):
            self.requests.append(request)

    async def settle(self) -> None:
        """Until the page's fetches are all answered and every one was seen here."""
        for _ in range(600):
            fetched, pending = await self.page.evaluate("[window.__fetched, window.__pending]")
            if pending == 0 and fetched == len(self.requests):
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"requests still pending: {fetched} made, {len(self.requests)} seen")

    async def next(self) -> list[Request]:
        mark = len(self.requests)
        await self.page.clock.run_for(POLL_MS)
        await self.settle()
        return self.requests[mark:]


def paths(requests: list[Request]) -> list[str]:
    return [urlsplit(r.url).path for r in requests]


async def first_deadlines(gateway: str, limit: int) -> list[str]:
    async with httpx.AsyncClient(base_url=gateway, headers=ADMIN, timeout=30) as client:
        page = await client.get("/warnings/v1/deadlines", params={"limit": limit})
        assert page.status_code == 200, page.text
        return [d["warning_id"] for d in page.json()["items"]]


async def shown_deadlines(page: Page) -> list[str]:
    rows = page.locator("#deadlines li[data-warning]")
    return [str(await rows.nth(i).get_attribute("data-warning")) for i in range(await rows.count())]


async def open_wall(browser: Browser, gateway: str, key: str) -> tuple[Page, Polls, list[str]]:
    """The wall display with its requests counted, once its first poll is shown; the clock
    paused (`Polls.next()` runs it)."""
    page = await browser.new_page(viewport={"width": 1440, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.add_init_script(COUNT_FETCHES)
    await page.clock.install()
    polls = Polls(page)
    await page.goto(f"{gateway}/dashboard#key={key}")
    await expect(page.locator("#tile-orange .count")).not_to_have_text("–", timeout=WAIT_MS)
    await expect(page.locator("#collection li")).to_have_count(1, timeout=WAIT_MS)
    await page.clock.pause_at(await page.evaluate("Date.now()") + 100)
    await polls.settle()
    return page, polls, errors


async def test_g8_issue13_requests_per_poll_are_bounded_on_a_book_of_2000(
    embedded: str, browser: Browser
) -> None:
    key = await load_book(embedded)
    page, polls, errors = await open_wall(browser, embedded, key)
    await expect(page.locator("#tile-orange .count")).to_have_text(str(BOOK))
    await expect(page.locator("#warnings li[data-warning]")).to_have_count(10)

    # Twelve polls (36 s): the four fast reads each time, me and the ranking once (30 s).
    cycles = [await polls.next() for _ in range(12)]
    counts = [len(c) for c in cycles]
    for cycle in cycles:
        assert set(FAST) <= set(paths(cycle)), paths(cycle)
        assert len(cycle) == len(set(paths(cycle))) <= PER_POLL, paths(cycle)
    assert sorted(counts) == [len(FAST)] * 11 + [PER_POLL], counts
    # Nothing changed: the reads answer 304 to the ETag they were given (a list's ETag also
    # moves with the sweep's clock, once a minute: at most one fresh answer per read here).
    fresh: dict[str, int] = {}
    for request in [r for cycle in cycles[1:] for r in cycle]:
        response = await request.response()
        assert response is not None, request.url
        path = urlsplit(request.url).path
        if path != "/v1/me" and response.status != 304:
            assert response.status == 200, request.url
            fresh[path] = fresh.get(path, 0) + 1
    assert all(n <= 1 for n in fresh.values()), fresh
    assert "/officers/v1/liability/ranking" not in fresh
    detail = re.compile(r"/warnings/v1/warnings/[^/?]+")
    assert not [r.url for r in polls.requests if detail.search(r.url)]

    # The first page of deadlines, soonest first; "more" appends the next one.
    await expect(page.locator("#deadlines li[data-warning]")).to_have_count(16)
    assert await shown_deadlines(page) == await first_deadlines(embedded, 16)
    mark = len(polls.requests)
    await page.click("#deadlines-more")
    await expect(page.locator("#deadlines li[data-warning]")).to_have_count(32)
    await polls.settle()
    more = polls.requests[mark:]  # the clock is paused: the button's request alone
    assert len(more) == 1
    assert "/warnings/v1/deadlines?limit=16&cursor=" in more[0].url
    assert await shown_deadlines(page) == await first_deadlines(embedded, 32)
    cycle = await polls.next()  # the poll keeps the 32 rows current, still one request
    assert len(cycle) <= PER_POLL
    assert any("deadlines?limit=32" in r.url for r in cycle), paths(cycle)
    await expect(page.locator("#deadlines li[data-warning]")).to_have_count(32)
    assert errors == []


async def test_g8_issue13_a_failing_call_marks_its_panel_stale_and_backs_off(
    embedded: str, browser: Browser, tmp_path: Path
) -> None:
    key = await load_book(embedded, 40)
    page, polls, errors = await open_wall(browser, embedded, key)
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    panel = page.locator("#panel-deadlines")
    rows = page.locator("#deadlines li[data-warning]")
    await expect(rows).to_have_count(16)
    stale = re.compile(r"\bstale\b")

    async def down(route: Route) -> None:
        problem = '{"title": "Service Unavailable", "status": 503, "detail": "deadlines down"}'
        await route.fulfill(status=503, content_type="application/problem+json", body=problem)

    await page.route(DEADLINES, down)
    cycles = [await polls.next()]
    await expect(panel).to_have_class(stale)
    await expect(panel.locator(".stale-note")).to_contain_text("last good data")
    await expect(panel.locator(".stale-note")).to_contain_text("deadlines down")
    await expect(rows).to_have_count(16)  # the last good page stays on the wall
    await expect(page.locator("#status-text")).to_have_text("stale: deadlines")

    # The other panels go on: a new red warning shows while the deadlines still fail.
    async with httpx.AsyncClient(base_url=embedded, headers=ADMIN, timeout=30) as client:
        posted = await client.post("/v1/events", json=[disbursed("L-R"), arrears("r", "L-R", 100)])
        assert posted.status_code == 202, posted.text
    cycles += [await polls.next() for _ in range(9)]
    await expect(page.locator("#tile-red .count")).to_have_text("1")
    await page.locator("#warnings li", has_text="loan L-R").wait_for()
    for other in ("#tiles", "#panel-warnings", "#panel-escalations", "#panel-officers"):
        await expect(page.locator(other)).not_to_have_class(stale)
    await expect(panel).to_have_class(stale)
    await page.screenshot(path=str(tmp_path / "dashboard-stale.png"), full_page=True)
    # Backoff: 30 s of polls asked for the deadlines after 0, 6 and 18 s, the summary each time.
    asked = [i for i, c in enumerate(cycles) if "/warnings/v1/deadlines" in paths(c)]
    assert asked == [0, 2, 6], asked
    assert all("/warnings/v1/summary" in paths(c) for c in cycles)
    assert len(console) <= len(asked), console  # one line per failed request, no storm

    # Recovery: the next try (24 s after the last) answers, the panel is live, every poll again.
    await page.unroute(DEADLINES)
    cycles = [await polls.next() for _ in range(8)]
    asked = [i for i, c in enumerate(cycles) if "/warnings/v1/deadlines" in paths(c)]
    assert asked == [4, 5, 6, 7], asked
    await expect(panel).not_to_have_class(stale)
    await expect(panel.locator(".stale-note")).to_have_count(0)
    await expect(page.locator("#status-text")).to_have_text("live")
    assert errors == []
