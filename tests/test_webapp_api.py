"""The sheet's API over real HTTP (aiohttp's server on a free port) against the real database, both backends.

One bureau (the example roster) in the third quarter's rating; one test walks a rater's session on the
sheet with its refusals, each checked to have written nothing. The identity is only the signed initData:
the body names a ratee or a ballot, never who is asking.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot.cli.rehearsal import import_roster
from bot.rules.domain import BallotStatus, Phase
from bot.webapp.server import INIT_DATA_HEADER, sheet_app
from bot.workflow import ballots, phases
from storage.repository import Repository
from tests.conftest import EXAMPLES
from tests.initdata import OTHER_TOKEN, TOKEN, init_data, signed_fields
from tests.test_workflow_quarter import ADMIN, Q3, Quarterly

RATER_TG, OTHER_TG, STRANGER_TG = 700_001, 700_002, 700_003


class Sheet:
    """POSTs to the sheet's API as a Telegram user (his signed initData), or with the raw header given."""

    def __init__(self, http: aiohttp.ClientSession, base: str) -> None:
        self.http, self.base = http, base

    async def call(self, name: str, body=None, *, user: int | None = RATER_TG, raw: str | None = None):
        headers = {}
        if raw is not None:
            headers[INIT_DATA_HEADER] = raw
        elif user is not None:
            headers[INIT_DATA_HEADER] = init_data(TOKEN, user)
        data = body if isinstance(body, bytes) else json.dumps(body if body is not None else {}).encode()
        async with self.http.post(f"{self.base}/sheet/api/{name}", data=data, headers=headers) as response:
            return response.status, await response.json()


async def _points(quarterly: Quarterly, ballot_id: int) -> list[int | None]:
    async with quarterly.work() as work:
        return [i.points for i in await work.repo.items_of_ballot(ballot_id)]


async def test_a_rater_scores_and_submits_on_the_sheet_and_nobody_else_can(settings, database) -> None:
    settings.admins.ids = [ADMIN]
    quarterly = Quarterly(settings, database)
    await import_roster(database, EXAMPLES / "roster.csv", "test")
    quarterly.at(2026, 10, 9, 10, 0)
    async with quarterly.work() as work:
        await phases.open_phase(work, Phase.RATING, Q3, phases.new_end(work, dt.date(2026, 10, 16)))
        people = {p.name: p for p in await work.repo.people()}
        rater, ratee, other = people["周明远"], people["吴晓燕"], people["郑海涛"]
        rater.telegram_user_id, other.telegram_user_id = RATER_TG, OTHER_TG  # both bound, both rate
        await work.repo.flush()
    server = TestServer(sheet_app(quarterly.services, TOKEN))
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as http:
            await _session(Sheet(http, str(server.make_url("")).rstrip("/")), quarterly, rater, ratee)
    finally:
        await server.close()


async def _session(sheet: Sheet, quarterly: Quarterly, rater, ratee) -> None:
    # The page itself, then the rater's list: his ratees in the open quarter, none scored yet.
    async with sheet.http.get(f"{sheet.base}/sheet") as response:
        assert response.status == 200 and "text/html" in response.content_type
        assert "/sheet/api" in await response.text()
    status, listing = await sheet.call("ratees")
    assert status == 200, listing
    assert listing["quarter"] == "2026Q3" and listing["quarter_label"] == "2026年第三季度"
    rows = {r["ratee_id"]: r for r in listing["ratees"]}
    assert listing["done"] == 0 and listing["total"] == len(rows) > 1
    assert rows[ratee.id] == {
        "ratee_id": ratee.id,
        "name": "吴晓燕",
        "section": "综合科",
        "state": "todo",
        "score": None,
    }

    # His ratee's ballot: a draft with every item unscored; two items saved, then reloaded.
    status, ballot = await sheet.call("ballot", {"ratee_id": ratee.id})
    assert status == 200, ballot
    ballot_id, items = ballot["ballot_id"], ballot["items"]
    assert ballot["ratee"]["name"] == "吴晓燕" and not ballot["submitted"] and ballot["score"] is None
    assert [i["index"] for i in items] == list(range(len(items))) and items[0]["part"] == "common"
    assert all(i["points"] is None for i in items) and items[-1]["part"] == "individual"
    status, saved = await sheet.call("save", {"ballot_id": ballot_id, "points": {"0": 7, "3": 9}})
    assert status == 200 and [i["points"] for i in saved["items"]][:4] == [7, None, None, 9]
    status, reloaded = await sheet.call("ballot", {"ratee_id": ratee.id})
    assert reloaded["ballot_id"] == ballot_id and reloaded["items"] == saved["items"]
    status, listing = await sheet.call("ratees")
    assert {r["ratee_id"]: r["state"] for r in listing["ratees"]}[ratee.id] == "draft"

    # The same new ballot opened six times at once (a double tap, two phones): one ballot, each call its.
    for other_id in [r for r in rows if r not in (ratee.id, rater.id)][:3]:
        answers = await asyncio.gather(*(sheet.call("ballot", {"ratee_id": other_id}) for _ in range(6)))
        assert [status for status, _ in answers] == [200] * 6, answers
        assert len({body["ballot_id"] for _, body in answers}) == 1

    # The chat's screen for the same pair (the workflow call its list button makes) shows the same row.
    async with quarterly.work(RATER_TG) as work:
        chat = await ballots.open_ballot(work, rater.id, (await work.repo.assessment(Q3)).id, ratee.id)
    assert chat.ballot.id == ballot_id and [i.points for i in chat.items][:4] == [7, None, None, 9]

    # Bad points: refused with 422, and the valid points sent beside them are not saved either.
    before = await _points(quarterly, ballot_id)
    most = items[1]["max"]
    for points, code in (
        ({"1": 5, "2": most + 1}, "out_of_range"),
        ({"1": 5, "2": -1}, "out_of_range"),
        ({"1": 5, "2": 7.5}, "not_whole"),
        ({"1": 5, "2": "7"}, "not_whole"),
        ({"1": 5, "2": True}, "not_whole"),
        ({"1": 5, "2": None}, "not_whole"),
        ({"1": 5, str(len(items)): 1}, "unknown_item"),
        ({"1": 5, "x": 1}, "unknown_item"),
    ):
        status, refused = await sheet.call("save", {"ballot_id": ballot_id, "points": points})
        assert (status, refused["error"]) == (422, code), points
        assert refused["message"] and not refused["message"].isascii()
    status, refused = await sheet.call("save", {"ballot_id": ballot_id, "points": {"2": most + 1}})
    assert str(items[2]["max"]) in refused["message"]
    assert await _points(quarterly, ballot_id) == before

    # Who may not: another rater's initData on this ballot, a stranger, and no, stale or forged initData.
    fields = signed_fields(TOKEN, RATER_TG)
    tampered = "&".join(
        f"{k}={v}"
        for k, v in {**fields, "user": fields["user"].replace(str(RATER_TG), str(OTHER_TG))}.items()
    )
    for user, raw, status_code, code in (
        (OTHER_TG, None, 403, "not_your_ballot"),
        (STRANGER_TG, None, 403, "not_bound"),
        (None, None, 401, "init_data_missing"),
        (None, init_data(TOKEN, RATER_TG, auth_date=1_700_000_000), 401, "init_data_expired"),
        (None, init_data(OTHER_TOKEN, RATER_TG), 401, "init_data_forged"),
        (None, tampered, 401, "init_data_forged"),
    ):
        for name, body in (
            ("save", {"ballot_id": ballot_id, "points": {"1": 5}}),
            ("submit", {"ballot_id": ballot_id}),
        ):
            status, refused = await sheet.call(name, body, user=user, raw=raw)
            assert (status, refused["error"]) == (status_code, code), (name, user, raw)
    status, refused = await sheet.call("ballot", {"ratee_id": ratee.id}, user=STRANGER_TG)
    assert (status, refused["error"]) == (403, "not_bound")
    assert await _points(quarterly, ballot_id) == before

    # Malformed calls.
    assert (await sheet.call("save", b"{not json"))[0] == 400
    assert (await sheet.call("save", {"ballot_id": str(ballot_id), "points": {}}))[0] == 400
    assert (await sheet.call("ballot", {}))[0] == 400
    assert (await sheet.call("ballot", {"ratee_id": rater.id}))[1]["error"] == "not_your_ratee"
    assert (await sheet.call("delete", {}))[0] == 404
    assert (await sheet.call("save", b"[" + b"1," * 20000 + b"1]"))[0] == 413
    status, refused = await sheet.call("save", b"[" * 3000)
    assert (status, refused["error"]) == (400, "malformed") and not refused["message"].isascii()
    for too_far in (0, -1, 2**31, 2**63, 10**30):  # ids no column holds: as unknown ones
        status, refused = await sheet.call("save", {"ballot_id": too_far, "points": {"0": 1}})
        assert (status, refused["error"]) == (403, "not_your_ballot"), too_far
        status, refused = await sheet.call("submit", {"ballot_id": too_far})
        assert (status, refused["error"]) == (403, "not_your_ballot"), too_far
        status, refused = await sheet.call("ballot", {"ratee_id": too_far})
        assert (status, refused["error"]) == (403, "not_your_ratee"), too_far
    assert (await sheet.call("save", {"ballot_id": 2**31 - 1, "points": {}}))[1]["error"] == "not_your_ballot"

    # Not submitted while an item is unscored; then every item, the submit, and a second submit.
    status, refused = await sheet.call("submit", {"ballot_id": ballot_id})
    assert (status, refused["error"]) == (422, "incomplete")
    full = {str(i["index"]): i["max"] - 1 for i in items}
    status, saved = await sheet.call("save", {"ballot_id": ballot_id, "points": full})
    assert status == 200 and saved["score"] is not None and "." in saved["score"]
    status, submitted = await sheet.call("submit", {"ballot_id": ballot_id})
    assert status == 200, submitted
    assert submitted["ballot"]["submitted"] and submitted["ballot"]["score"] == saved["score"]
    assert submitted["done"] == 1 and submitted["total"] == listing["total"]
    assert submitted["next_ratee_id"] not in (None, ratee.id)
    async with quarterly.work() as work:
        record = await work.repo.ballot_by_id(ballot_id)
        assert record.status is BallotStatus.SUBMITTED and record.submitted_at == work.now
        audit = [e for e in await work.repo.audit_entries("ballot_submitted") if e.person_id == ratee.id]
        assert len(audit) == 1 and audit[0].actor == f"tg:{RATER_TG}"
        assert json.loads(audit[0].details) == {"ballot_id": ballot_id, "source": "sheet"}
        [(quarter, done, total)] = await ballots.outstanding_for(work, rater.id)  # counted as in chat
        assert (quarter, done, total) == (Q3, 1, listing["total"])
    after = await _points(quarterly, ballot_id)
    for name, body in (
        ("submit", {"ballot_id": ballot_id}),
        ("save", {"ballot_id": ballot_id, "points": {}}),
    ):
        status, refused = await sheet.call(name, body)
        assert (status, refused["error"]) == (409, "locked")
    async with quarterly.work() as work:
        assert (
            len([e for e in await work.repo.audit_entries("ballot_submitted") if e.person_id == ratee.id])
            == 1
        )
    assert await _points(quarterly, ballot_id) == after
    status, listing = await sheet.call("ratees")
    row = {r["ratee_id"]: r for r in listing["ratees"]}[ratee.id]
    assert row["state"] == "submitted" and row["score"] == saved["score"] and listing["done"] == 1

    # Rating closes: a draft can no longer be saved, and there is nothing left to rate.
    status, second = await sheet.call("ballot", {"ratee_id": submitted["next_ratee_id"]})
    assert status == 200
    async with quarterly.work() as work:
        await phases.close_rating(work, await work.repo.assessment(Q3))
    status, refused = await sheet.call("save", {"ballot_id": second["ballot_id"], "points": {"0": 1}})
    assert (status, refused["error"]) == (409, "rating_closed")
    assert (await sheet.call("ratees"))[1]["error"] == "nothing_to_rate"
    assert all(p is None for p in await _points(quarterly, second["ballot_id"]))


async def test_the_running_bot_serves_the_sheet_on_the_same_ballots_as_its_buttons(
    database_url, database, tmp_path
) -> None:
    """bot/app.py starts the sheet with the bot when webapp.public_url is set, and stops it with the bot;
    a point given by a chat button is on the sheet, one saved on the sheet is on the chat's screen."""
    from tests.authz import SMALL_BUREAU, small_roster
    from tests.botprocess import free_port
    from tests.chat import TOKEN as BOT_TOKEN
    from tests.chat import at, bind_everyone, running_bot

    small_roster(tmp_path / "roster.csv", SMALL_BUREAU)
    await import_roster(database, tmp_path / "roster.csv", "test")
    port = free_port()
    webapp = {"public_url": "https://bot.example.gov.cn/sheet", "port": port}
    async with running_bot(database_url, at(2026, 10, 14, 9, 30), webapp=webapp) as bureau:
        await bind_everyone(bureau)
        await bureau.command(ADMIN, "open", "rating")
        await bureau.settle()
        rater = bureau.user("周明远")
        listing = await bureau.command(rater, "rate")
        _answer, screen = await bureau.press(rater, listing, "吴晓燕")
        most = max(int(b["text"]) for row in screen.buttons for b in row if b["text"].isdigit())
        await bureau.press(rater, screen, str(most - 1))  # the first item, by a chat button
        async with aiohttp.ClientSession() as http:
            sheet = Sheet(http, f"http://127.0.0.1:{port}")

            async def call(name, body):
                headers = {INIT_DATA_HEADER: init_data(BOT_TOKEN, rater)}
                url = f"{sheet.base}/sheet/api/{name}"
                async with http.post(url, data=json.dumps(body), headers=headers) as response:
                    return response.status, await response.json()

            status, ballot = await call("ballot", {"ratee_id": await _person_id(database, "吴晓燕")})
            assert status == 200, ballot
            assert [i["points"] for i in ballot["items"]][:2] == [most - 1, None]
            status, saved = await call("save", {"ballot_id": ballot["ballot_id"], "points": {"1": 3}})
            assert status == 200 and [i["points"] for i in saved["items"]][:2] == [most - 1, 3]
            listing = await bureau.command(rater, "rate")
            _answer, screen = await bureau.press(rater, listing, "✎ 吴晓燕")  # a draft, on the chat's list
            third = ballot["items"][2]["name"]
            assert third in screen.text and "3" in screen.text  # on to the third item: the second is scored
            assert (await sheet.call("ratees", user=None))[0] == 401
    with pytest.raises(aiohttp.ClientError):  # stopped with the bot
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/sheet"):
            pass


async def _person_id(database, name: str) -> int:
    async with database.session() as session:
        return next(p.id for p in await Repository(session).people() if p.name == name)
