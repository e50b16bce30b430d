"""The rating sheet in a real headless Chromium (Debian's, driven by Playwright), against the real bot.

The bot runs with the stand-in; the sheet's server listens on a free local port, which stands for the
public HTTPS URL behind the reverse proxy. The stand-in's driver opens the Mini App as Telegram would:
the page's URL with initData signed by the bot's token in the fragment.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import aiohttp
import pytest

from bot.rules.domain import BallotStatus
from bot.webapp.server import INIT_DATA_HEADER
from storage.models import BallotRecord
from tests.chat import ADMIN, at, import_roster, running_bot
from tests.conftest import EXAMPLES
from tests.dbsnapshot import snapshot_async, without_processed
from tests.test_chat_exports import bind

CHROMIUM = Path("/usr/bin/chromium")
PUBLIC = "https://sheet.example.gov.cn/sheet"
PRINCIPAL, OTHER = "赵建国", "吴晓燕"  # the principal rates all 33; 吴晓燕 is not the rater of his ballots
SHOT = Path("/tmp/sheet-360.png")

async_playwright = pytest.importorskip(
    "playwright.async_api", reason="playwright is not installed"
).async_playwright
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not installed (apt-get install chromium; .ci/run does)",
)


async def _ballot(bureau, ballot_id: int) -> BallotRecord:
    async with bureau.services.database.session() as session:
        return await session.get(BallotRecord, ballot_id)


async def _api(local: str, name: str, init_data: str, body: dict) -> tuple[int, dict]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{local}/api/{name}", json=body, headers={INIT_DATA_HEADER: init_data}) as response,
    ):
        return response.status, await response.json()


async def test_a_rater_scores_on_the_sheet_and_strangers_are_refused(database_url, database, tmp_path):
    await import_roster(database, EXAMPLES / "roster.csv")
    moment = at(2026, 10, 14, 9, 30)
    async with running_bot(database_url, moment, webapp={"public_url": PUBLIC, "port": 0}) as bureau:
        await bind(bureau, PRINCIPAL, OTHER)
        driver = bureau.driver
        principal, other = bureau.user(PRINCIPAL), bureau.user(OTHER)
        local = f"http://127.0.0.1:{bureau.application.bot_data['sheet_server'].port}/sheet"

        # Opening it: the rating request, /rate and the chat menu button carry the sheet's URL
        await bureau.command(ADMIN, "open", "rating")
        await bureau.settle()
        request = await bureau.expect(principal, "打开评分表")
        assert request.web_app_url("打开评分表") == PUBLIC
        listing = await bureau.command(principal, "rate")
        assert listing.web_app_url("打开评分表") == PUBLIC
        menu = await driver.wait_for(lambda: driver.menu_button(principal).get("web_app"), what="menu button")
        assert menu == {"url": PUBLIC}

        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=str(CHROMIUM))
            page = await browser.new_page(viewport={"width": 360, "height": 780}, device_scale_factor=2)
            # the client is told the page is ready and wants the full height, without Telegram's script
            await page.add_init_script(
                "window.posted = [];"
                "window.TelegramWebviewProxy = {postEvent: function (t) { window.posted.push(t); }};"
            )
            await page.goto(driver.open_web_app(principal, local))
            await page.get_by_text("已评 0/33").wait_for()
            assert await page.evaluate("window.posted") == ["web_app_ready", "web_app_expand"]
            assert await page.locator("main[aria-live]").count() == 0  # only the status and the alert
            first = page.locator("button.ratee").first
            name = (await first.locator(".who span").first.text_content()).strip()
            await first.click()
            await page.get_by_role("heading", name=name).wait_for()
            groups = page.get_by_role("radiogroup")
            count = await groups.count()
            assert count >= 10
            # three items, then the page is closed before the rest: the draft is on the server
            for index in range(3):
                await groups.nth(index).get_by_role("radio").nth(1).click()  # one below the maximum
            await page.get_by_text("草稿已保存").wait_for()
            status, shown = await _api(local, "ratees", driver.init_data(principal), {})
            assert status == 200 and [r["state"] for r in shown["ratees"] if r["name"] == name] == ["draft"]
            await page.reload()
            await page.locator("button.ratee", has_text=name).click()
            await page.get_by_role("heading", name=name).wait_for()
            checked = page.locator('[role="radio"][aria-checked="true"]')
            assert await checked.count() == 3
            # a refused save: its message is in sight while scoring far down the sheet (360×780)
            refused = []

            async def refuse_once(route):
                if refused:
                    await route.continue_()
                else:
                    refused.append(route.request.url)
                    await route.abort()

            await page.route("**/api/save", refuse_once)
            last = groups.nth(count - 2)
            await last.scroll_into_view_if_needed()
            await last.get_by_role("radio").nth(2).click()
            alert = page.locator("#alert")
            await alert.wait_for()
            shown_at = await alert.bounding_box()
            assert refused and shown_at["y"] >= 0 and shown_at["y"] + shown_at["height"] <= 780
            assert await page.evaluate("document.getElementById('alert').getBoundingClientRect().top") >= 0
            # the rest by the quick fill, one item changed by the keyboard's number box, then 提交
            await page.get_by_role("button", name="把未打分的各项都设为满分").click()
            box = page.get_by_role("textbox").nth(count - 1)
            await box.fill("15")
            await box.press("Enter")
            await page.get_by_text("草稿已保存").wait_for()
            assert "得分" in await page.locator("#score").text_content()
            await page.evaluate("window.scrollTo(0, 0)")
            await page.screenshot(path=str(tmp_path / "sheet-360.png"))
            shutil.copy(tmp_path / "sheet-360.png", SHOT)
            # a double tap on 提交 (150 ms apart), then Enter twice: the dialog asks, nothing is submitted
            where = await page.locator("#submit").bounding_box()
            x, y = where["x"] + where["width"] / 2, where["y"] + where["height"] / 2
            await page.mouse.click(x, y)
            await page.wait_for_timeout(150)
            await page.mouse.click(x, y)
            await page.wait_for_timeout(100)
            assert await page.get_by_role("alertdialog").is_visible()
            await page.keyboard.press("Escape")
            await page.locator("#submit").focus()
            await page.keyboard.press("Enter")
            await page.keyboard.press("Enter")
            await page.wait_for_timeout(100)
            assert await page.get_by_role("alertdialog").is_visible()
            status, shown = await _api(local, "ratees", driver.init_data(principal), {})
            assert [r["state"] for r in shown["ratees"] if r["name"] == name] == ["draft"]
            await page.get_by_role("button", name="确认提交").click()
            await page.get_by_text(f"已提交对{name}的测评票").wait_for()
            status, shown = await _api(local, "ratees", driver.init_data(principal), {})
            mine = next(r for r in shown["ratees"] if r["name"] == name)
            assert shown["done"] == 1 and mine["state"] == "submitted" and mine["score"]
            ballot_id = (
                await _api(local, "ballot", driver.init_data(principal), {"ratee_id": mine["ratee_id"]})
            )[1]["ballot_id"]
            record = await _ballot(bureau, ballot_id)
            assert record.status is BallotStatus.SUBMITTED
            # counted where the chat counts: /rate says so
            assert "已评1/33" in (await bureau.command(principal, "rate")).text

            # refused and nothing changes: a stranger's, another user's, an expired and a forged initData
            second = next(r for r in shown["ratees"] if r["state"] != "submitted")
            opened = await _api(
                local, "ballot", driver.init_data(principal), {"ratee_id": second["ratee_id"]}
            )
            await bureau.settle()
            before = without_processed(await snapshot_async(database_url))
            stranger = driver.add_user(first_name="路人")["id"]
            stale = int(time.time()) - bureau.services.settings.webapp.max_age_seconds - 60
            for url in (
                driver.open_web_app(stranger, local),
                driver.open_web_app(principal, local, auth_date=stale),
                driver.open_web_app(principal, local, token="123:forged"),
            ):
                await page.goto("about:blank")
                await page.goto(url)
                alert = page.locator("#alert")
                await alert.wait_for()
                assert (await alert.text_content()).strip()
                assert await page.locator("button.ratee").count() == 0
            for init_data, refused in (
                (driver.init_data(other), 403),  # 吴晓燕's own, on the principal's ballot
                (driver.init_data(principal, auth_date=stale), 401),
                (driver.init_data(principal, token="123:forged"), 401),
            ):
                for call, body in (
                    ("save", {"ballot_id": opened[1]["ballot_id"], "points": {"0": 1}}),
                    ("submit", {"ballot_id": ballot_id}),
                ):
                    status, answer = await _api(local, call, init_data, body)
                    assert status == refused and answer["message"], (call, status, answer)
            await browser.close()
        assert without_processed(await snapshot_async(database_url)) == before

        # rating closes: the menu button is the default again
        ask = await bureau.command(ADMIN, "close", "rating")
        await bureau.press(ADMIN, ask, "确认")
        await driver.wait_for(
            lambda: driver.menu_button(principal) == {"type": "commands"}, what="menu reset"
        )
