"""A rater at the rating sheet, played for the demo and the count: the real page in Chromium, or its API.

With Playwright and Debian's chromium (/usr/bin/chromium) the page itself is driven: each tap is a click
on it, a number typed into an item's box counts as one entry. Without a browser the same plan goes through
the sheet's HTTP API with the same signed initData (one `save` and one `submit` a ratee, as the page's
debounced saves would give). Either way each ratee is scored the quickest way the page offers: a tap per
item, or fill-to-maximum and a tap for each item below its maximum, then submit and confirm.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bot.webapp.server import INIT_DATA_HEADER

CHROMIUM = Path("/usr/bin/chromium")
# The ratee's name and the items of the ballot on screen, read in one call.
ITEMS_ON_PAGE = """() => [document.querySelector("h2").textContent.trim(),
  Array.from(document.querySelectorAll("fieldset")).map((f, index) => ({index,
    name: f.querySelector("legend span").textContent.split(". ").slice(1).join(". "),
    max: Number(f.querySelector('[role="radio"]').textContent)}))]"""
# The taps of one ballot, each a click on the page's own button (or a number typed into an item's box
# and Enter), dispatched in the page in one call: Playwright's per-click checks would take longer than
# the page itself. Submit and confirm are clicked through Playwright.
TAPS_ON_PAGE = """(steps) => { for (const [kind, index, value] of steps) {
  if (kind === "fill") { document.getElementById("fill").click(); continue; }
  const group = document.querySelector(`fieldset[data-item="${index}"]`);
  const radios = Array.from(group.querySelectorAll('[role="radio"]'));
  const radio = radios.find(b => b.textContent === String(value));
  if (radio) { radio.click(); continue; }
  const box = group.querySelector("input");
  box.value = String(value);
  box.dispatchEvent(new KeyboardEvent("keydown", {key: "Enter", bubbles: true}));
} }"""


@dataclass
class Played:
    """What one rater's scoring took: how (browser or api), ballots, interactions, seconds."""

    mode: str
    ballots: int = 0
    interactions: int = 0
    seconds: float = 0.0


def plan(items: list[dict], points: dict[str, int]) -> list[tuple[str, int, int]]:
    """The taps for one ballot: ("set", index, points) per item, or ("fill", 0, 0) first when filling every
    item to its maximum and fixing those below it takes fewer."""
    wanted = [(item["index"], points[item["name"]], item["max"]) for item in items]
    each = [("set", index, value) for index, value, _most in wanted]
    fill = [("fill", 0, 0)] + [("set", index, value) for index, value, most in wanted if value != most]
    return fill if len(fill) < len(each) else each


def available() -> bool:
    """Whether the page can be driven here: Playwright installed and Debian's chromium present."""
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return False
    return CHROMIUM.exists()


async def play(
    local_url: str,
    launch: Callable[[], str],
    init_data: Callable[[], str],
    scores: dict[str, dict[str, int]],
    *,
    browser: bool | None = None,
) -> Played:
    """Score every ratee not yet submitted: `launch()` gives the Mini App's URL as Telegram opens it,
    `init_data()` a fresh initData; `scores` is ratee name -> item name -> points. In the browser when
    `browser` says so (by default when one is available), else through the API."""
    if available() if browser is None else browser:
        return await _in_browser(launch(), scores)
    return await _by_api(local_url, init_data, scores)


async def _by_api(local_url: str, init_data: Callable[[], str], scores: dict[str, dict[str, int]]) -> Played:
    played = Played("api", interactions=1)  # opening the sheet
    started = time.monotonic()
    async with aiohttp.ClientSession() as http:

        async def call(name: str, body: dict) -> dict:
            url = f"{local_url}/api/{name}"
            async with http.post(url, json=body, headers={INIT_DATA_HEADER: init_data()}) as response:
                answer = await response.json()
                if response.status != 200:
                    raise RuntimeError(f"{name}: {response.status} {answer}")
                return answer

        listing = await call("ratees", {})
        following = next((r["ratee_id"] for r in listing["ratees"] if r["state"] != "submitted"), None)
        played.interactions += following is not None  # the first ratee is picked; then the next one opens
        while following is not None:
            ballot = await call("ballot", {"ratee_id": following})
            steps = plan(ballot["items"], scores[ballot["ratee"]["name"]])
            points = {str(i["index"]): i["max"] for i in ballot["items"]} if steps[0][0] == "fill" else {}
            points.update({str(index): value for kind, index, value in steps if kind == "set"})
            await call("save", {"ballot_id": ballot["ballot_id"], "points": points})
            following = (await call("submit", {"ballot_id": ballot["ballot_id"]}))["next_ratee_id"]
            played.ballots += 1
            played.interactions += len(steps) + 2  # submit, confirm
    played.seconds = time.monotonic() - started
    return played


async def _in_browser(url: str, scores: dict[str, dict[str, int]]) -> Played:
    from playwright.async_api import async_playwright

    played = Played("browser", interactions=1)
    started = time.monotonic()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM))
        page = await browser.new_page(viewport={"width": 360, "height": 780})
        await page.goto(url)
        await page.locator("button.ratee").first.wait_for()
        pending = page.locator("button.ratee:not(:has(.tag.submitted))")
        if await pending.count():
            await pending.first.click()
            await page.locator("#submit").wait_for()
            played.interactions += 1
        while await page.locator("#submit").count():
            await page.locator("fieldset").first.wait_for()
            name, items = await page.evaluate(ITEMS_ON_PAGE)
            steps = plan(items, scores[name])
            await page.evaluate(TAPS_ON_PAGE, [[kind, index, value] for kind, index, value in steps])
            await page.locator("#submit:enabled").click()
            await page.locator("#confirm-yes").click()
            await page.locator('p.note[role="status"]', has_text=name).first.wait_for()  # submitted
            played.ballots += 1
            played.interactions += len(steps) + 2
        await browser.close()
    played.seconds = time.monotonic() - started
    return played
