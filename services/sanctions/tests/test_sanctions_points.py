"""The bank call centre's quarterly point ledger (DOMAIN §5.7, AS-23), sanctions alone on the real broker and
database."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sanctions_harness import Harness, harness

pytestmark = pytest.mark.integration
CSR = "bank-call-centre-csr"


@pytest.fixture(scope="module")
async def h(postgres_url: str) -> AsyncIterator[Harness]:
    async with harness(postgres_url) as running:
        yield running


async def centre(h: Harness) -> str:
    org = f"ccc-{uuid.uuid4().hex[:6]}"
    await h.orgs({"id": org, "name": "客服中心", "kind": "department", "tenant": org, "regimes": [CSR]})
    return org


async def entry(h: Harness, org: str, person: str, rule: str, when: str, **fields: Any) -> Any:
    h.clock(when)
    return await h.http.post("/v1/points", json={"org": org, "person": person, "rule": rule, **fields})


async def ok(h: Harness, org: str, person: str, rule: str, when: str, **fields: Any) -> dict[str, Any]:
    response = await entry(h, org, person, rule, when, **fields)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_as23_san61_san62_san67_san73_san87_san110_the_quarter_of_csr_1088(h: Harness) -> None:
    org = await centre(h)
    full = await ok(h, org, "csr-1088", "full-attendance", "2026-07-31T18:00")
    assert (full["points"], full["period"], full["rule"]) == (1, "2026-Q3", "SAN-61")
    await ok(h, org, "csr-1088", "private-call", "2026-08-12T10:30", minutes=5, via_seat_system=True)
    asleep = await ok(h, org, "csr-1088", "SAN-87", "2026-08-20T03:10")  # by DOMAIN id
    assert asleep["points"] == -10
    assert asleep["award_ineligible"] is True
    assert len(asleep["sanctions"]) == 2  # the deduction, and the year's award eligibility
    await ok(h, org, "csr-1088", "serious-customer-complaint", "2026-09-03T11:00", verified=True)
    await ok(h, org, "csr-1088", "most-wronged", "2026-09-15T16:00")
    await ok(h, org, "csr-1088", "little-bee", "2026-09-30T18:00")
    ledger = (await h.http.get("/v1/points", params={"org": org, "person": "csr-1088", "period": "2026-Q3"})).json()
    assert ledger["quarters"] == [
        {
            "person": "csr-1088",
            "period": "2026-Q3",
            "adjustment": -11,
            "score_set_to": None,
            "award_ineligible": True,
            "score": -11,
        }
    ]
    assert [e["points"] for e in ledger["entries"]] == [1, -2, -10, -10, 5, 5]
    [ineligible] = await h.sanctions(org=org, kind="award_ineligible")
    assert ineligible["target_persons"] == ["csr-1088"]
    assert ineligible["period"] == "2026"
    assert ineligible["rule"] == "SAN-87"
    deductions = await h.sanctions(org=org, kind="penalty_points")
    assert [s["rule"] for s in deductions] == ["SAN-73", "SAN-87", "SAN-110"]
    recorded = await h.spy.wait_for("points.recorded", lambda e: e.data["org"] == org, count=6)
    assert sum(e.data["points"] for e in recorded) == -11
    assert {e.data["kind"] for e in recorded} == {"bonus", "deduction"}


async def test_san61_san62_san64_san73_san92_what_an_entry_must_say(h: Harness) -> None:
    org = await centre(h)
    await ok(h, org, "csr-1", "full-attendance", "2026-07-31T18:00")
    twice = await entry(h, org, "csr-1", "full-attendance", "2026-07-31T19:00")
    assert twice.status_code == 409  # once per month
    assert twice.json()["rule"] == "SAN-61"
    await ok(h, org, "csr-1", "full-attendance", "2026-08-31T18:00")  # the next month is another month
    credited = await entry(h, org, "csr-1", "little-bee", "2026-09-30T18:00", credited_by_appraisal=True)
    assert credited.status_code == 422  # 不重复加分
    assert credited.json()["errors"][0]["rule"] == "SAN-62"
    short = await entry(h, org, "csr-1", "private-call", "2026-09-01T10:00", minutes=3)
    assert short.status_code == 422  # 3 minutes off the seat system is not over the limit
    assert (await entry(h, org, "csr-1", "private-call", "2026-09-01T11:00", minutes=4)).status_code == 201
    unverified = await entry(h, org, "csr-1", "abuse-or-fraud-on-calls", "2026-09-02T10:00")
    assert unverified.status_code == 422
    assert unverified.json()["errors"][0]["field"] == "verified"
    for rank, points in ((1, 10), (2, 6), (3, 3)):
        result = await ok(h, org, f"csr-expert-{rank}", "technical-expert", "2026-09-10T10:00", rank=rank)
        assert result["points"] == points
    assert (await entry(h, org, "csr-2", "technical-expert", "2026-09-10T10:00", rank=4)).status_code == 422
    unknown = await entry(h, org, "csr-1", "SAN-999", "2026-09-10T10:00")
    assert unknown.status_code == 422
    assert "asleep-on-night-shift" in unknown.json()["errors"][0]["message"]
    future = await h.http.post(
        "/v1/points", json={"org": org, "person": "csr-1", "rule": "absence", "at": "2027-09-10T10:00:00+08:00"}
    )
    assert future.status_code == 422


async def test_as23_san104_san107_score_zero_and_a_serious_case(h: Harness) -> None:
    org = await centre(h)
    flammable = await ok(h, org, "csr-1090", "flammable-items", "2026-08-05T10:00")
    assert flammable["points"] == -20
    assert flammable["sanctions"] != []
    assert await h.sanctions(org=org, kind="dismissal") == []
    serious = await ok(h, org, "csr-1090", "flammable-items", "2026-08-06T10:00", serious=True)
    [dismissal] = await h.sanctions(org=org, kind="dismissal")
    assert dismissal["id"] in serious["sanctions"]
    assert dismissal["rule"] == "SAN-107"
    await ok(h, org, "csr-1091", "deliberate-damage", "2026-08-07T10:00")
    await ok(h, org, "csr-1091", "most-wronged", "2026-08-08T10:00")
    ledger = (await h.http.get("/v1/points", params={"org": org, "person": "csr-1091"})).json()
    [quarter] = ledger["quarters"]
    assert quarter["score_set_to"] == 0  # 以0分计 whatever the bonuses
    event = await h.spy.wait_for(
        "points.recorded", lambda e: e.data["person"] == "csr-1091" and e.data["rule"] == "SAN-104"
    )
    assert event[0].data["kind"] == "score_set"
    assert event[0].data["score_set_to"] == 0


async def test_as23_san116_san115_offpost_training_after_three_failed_quarters_then_dismissal(h: Harness) -> None:
    org = await centre(h)
    premature = await entry(h, org, "csr-1095", "offpost-training-failed", "2026-02-01T10:00")
    assert premature.status_code == 409  # there is no off-post training to have failed
    await ok(h, org, "csr-1095", "appraisal-failed", "2026-03-31T18:00")
    again = await entry(h, org, "csr-1095", "appraisal-failed", "2026-03-31T19:00")
    assert again.status_code == 409  # one appraisal per quarter
    await ok(h, org, "csr-1095", "appraisal-failed", "2026-09-30T18:00")
    assert await h.sanctions(org=org, kind="offpost_training") == []
    third = await ok(h, org, "csr-1095", "appraisal-failed", "2027-03-31T18:00")
    [training] = await h.sanctions(org=org, kind="offpost_training")
    assert training["id"] in third["sanctions"]
    assert (training["rule"], training["target_persons"]) == ("SAN-116", ["csr-1095"])
    await ok(h, org, "csr-1095", "offpost-training-failed", "2027-05-10T10:00")
    [dismissal] = await h.sanctions(org=org, kind="dismissal")
    assert dismissal["target_persons"] == ["csr-1095"]
    # Pre-job exam: the second failure dismisses (SAN-115).
    await ok(h, org, "csr-new", "pre-job-exam-failed", "2027-05-11T10:00")
    assert [s["target_persons"] for s in await h.sanctions(org=org, kind="dismissal")] == [["csr-1095"]]
    await ok(h, org, "csr-new", "pre-job-exam-failed", "2027-06-11T10:00")
    assert len(await h.sanctions(org=org, kind="dismissal")) == 2


async def test_as23_san68_annual_excellence_top_three_within_fifteen_percent_never_the_ineligible(h: Harness) -> None:
    big, small = await centre(h), await centre(h)
    for org in (big, small):
        await ok(h, org, "csr-a", "technical-expert", "2026-05-10T10:00", rank=1)  # +10
        await ok(h, org, "csr-b", "technical-expert", "2026-05-10T10:00", rank=2)  # +6
        await ok(h, org, "csr-c", "rationalisation", "2026-06-10T10:00")  # +5
        await ok(h, org, "csr-d", "industry-elite", "2026-06-11T10:00")  # +10 …
        await ok(h, org, "csr-d", "unapproved-shift-change", "2026-06-12T10:00")  # … −5, and ineligible
        await ok(h, org, "csr-e", "absence", "2026-06-13T10:00")  # −2
    h.clock("2026-12-01T10:00")
    for org, headcount in ((big, 40), (small, 10)):
        response = await h.http.post(
            "/v1/kpi-inputs", json={"org": org, "period": "2026", "metric": "headcount", "value": headcount}
        )
        assert response.status_code == 201, response.text
    h.clock("2027-01-01T00:00:01")
    [nominated] = await h.spy.wait_for("reward.recommended", lambda e: e.data["org"] == big, timeout=10)
    assert nominated.data["persons"] == ["csr-a", "csr-b", "csr-c"]  # csr-d ties csr-c but lost eligibility
    assert nominated.data["kind"] == "annual_excellence"
    assert nominated.data["period"] == "2026"
    assert nominated.data["rule"] == "SAN-68"
    [capped] = await h.spy.wait_for("reward.recommended", lambda e: e.data["org"] == small, timeout=10)
    assert capped.data["persons"] == ["csr-a"]  # 15 % of 10 is 1.5: one nominee


async def test_san_117_training_attendance_and_the_quarterly_exam(h: Harness) -> None:
    org = await centre(h)
    missed = await ok(h, org, "csr-1101", "training-absence", "2026-04-14T14:00")
    assert (missed["rule"], missed["points"], missed["period"]) == ("SAN-117", -2, "2026-Q2")
    [deduction] = await h.sanctions(org=org, kind="penalty_points")
    assert (deduction["rule"], deduction["target_persons"]) == ("SAN-117", ["csr-1101"])
    assert deduction["evidence"]["figures"] == {"points": -2}
    failed = await ok(h, org, "csr-1101", "quarterly-exam-failed", "2026-06-20T10:00")
    [retraining] = await h.sanctions(org=org, kind="retraining")
    assert retraining["id"] in failed["sanctions"]
    assert (retraining["rule"], retraining["target_persons"]) == ("SAN-117", ["csr-1101"])
    twice = await entry(h, org, "csr-1101", "quarterly-exam-failed", "2026-06-21T10:00")
    assert twice.status_code == 409  # one quarterly exam per quarter
    ledger = (await h.http.get("/v1/points", params={"org": org, "person": "csr-1101"})).json()
    assert [q["adjustment"] for q in ledger["quarters"]] == [-2]


async def test_san_60_points_adjust_the_quarterly_appraisal_score(h: Harness) -> None:
    org = await centre(h)
    await ok(h, org, "csr-1102", "most-wronged", "2026-07-02T10:00")  # +5
    await ok(h, org, "csr-1102", "posture", "2026-07-03T10:00")  # −1
    await ok(h, org, "csr-1102", "absence", "2026-10-05T10:00")  # −2, the next quarter
    await ok(h, org, "csr-1103", "rationalisation", "2026-07-04T10:00")  # +5 …
    await ok(h, org, "csr-1103", "theft-or-snooping", "2026-07-05T10:00")  # … but the quarter counts as 0
    ledger = (await h.http.get("/v1/points", params={"org": org})).json()
    scores = {(q["person"], q["period"]): (q["adjustment"], q["score_set_to"], q["score"]) for q in ledger["quarters"]}
    # The base score is not in the seeds (0): the score is the base adjusted by every bonus and deduction.
    assert scores == {
        ("csr-1102", "2026-Q3"): (4, None, 4),
        ("csr-1102", "2026-Q4"): (-2, None, -2),
        ("csr-1103", "2026-Q3"): (5, 0, 0),
    }
