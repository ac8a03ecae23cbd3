"""The mobile operator's contractual sanctions and KPIs (DOMAIN §5.2, AS-17), sanctions alone on the real broker
and database: monthly evaluations by the business clock, the boundaries exactly as written (CONV-10)."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sanctions_harness import Harness, harness

from tousu.kit.testing.plugin import eventually

pytestmark = pytest.mark.integration
MO = "mobile-operator-si"


@pytest.fixture(scope="module")
async def h(postgres_url: str) -> AsyncIterator[Harness]:
    async with harness(postgres_url) as running:
        yield running


async def world(h: Harness, *sis: str) -> dict[str, str]:
    n = uuid.uuid4().hex[:6]
    ids = {"cm": f"cm-hunan-{n}", **{si: f"si-{si}-{n}" for si in sis}}
    await h.orgs(
        {"id": ids["cm"], "name": "中国移动湖南", "kind": "operator", "tenant": ids["cm"], "regimes": [MO]},
        *(
            {
                "id": ids[si],
                "name": f"SI {si}",
                "kind": "vendor",
                "parent": ids["cm"],
                "tenant": ids["cm"],
                "regimes": [MO],
            }
            for si in sis
        ),
    )
    return ids


async def complaints(h: Harness, ids: dict[str, str], si: str, n: int, day: str, **fields: Any) -> list[str]:
    """`n` complaints against an SI received at 10086 on `day`, a minute apart."""
    out = []
    for i in range(n):
        when = f"{day}T10:{i:02d}"
        h.clock(when)
        out.append(await h.received(ids["cm"], MO, when, receiving_unit=ids["cm"], respondent_unit=ids[si], **fields))
    return out


async def users(h: Harness, org: str, period: str, value: int, metric: str = "fee_paying_users") -> Any:
    return await h.http.post(
        "/v1/kpi-inputs",
        json={
            "org": org,
            "period": period,
            "metric": metric,
            "value": value,
            "source": "China Mobile billing department",
        },
    )


async def evaluated(h: Harness, org: str, metric: str, period: str) -> dict[str, Any]:
    [event] = await h.spy.wait_for(
        "kpi.evaluated",
        lambda e: e.data["org"] == org and e.data["metric"] == metric and e.data["period"] == period,
        timeout=10,
    )
    return event.data


async def test_san_15_san_17_exactly_5_per_10000_fee_paying_users_suspends_settlement(h: Harness) -> None:
    ids = await world(h, "alpha", "beta")
    h.clock("2026-06-01T08:00")
    assert (await users(h, ids["alpha"], "2026-06", 20000)).status_code == 201
    assert (await users(h, ids["beta"], "2026-06", 20001)).status_code == 201
    await complaints(h, ids, "alpha", 10, "2026-06-10")
    await complaints(h, ids, "beta", 10, "2026-06-11")
    h.clock("2026-07-01T00:00:01")
    alpha = await evaluated(h, ids["alpha"], "complaints_per_10k_users", "2026-06")
    assert alpha["value"] == 5.0
    assert alpha["threshold"] == 5.0
    assert alpha["compliant"] is False
    assert alpha["inputs"] == {"complaints": 10, "fee_paying_users": "20000", "per": 10000}
    assert alpha["comparison"] == "<"
    assert alpha["consecutive_periods"] == 1
    assert alpha["rule"] == "SAN-14"
    beta = await evaluated(h, ids["beta"], "complaints_per_10k_users", "2026-06")
    assert beta["compliant"] is True
    assert beta["value"] == 4.9998
    [suspension] = await h.sanctions(org=ids["alpha"], kind="settlement_suspended")
    assert suspension["rule"] == "SAN-15"
    assert suspension["requirement"] == "rectification within a deadline"
    assert suspension["period"] == "2026-06"
    assert suspension["until"] is None  # until compliant
    assert suspension["evidence"]["figures"]["value"] == 5.0
    assert await h.sanctions(org=ids["beta"]) == []
    listed = (await h.http.get("/v1/kpis", params={"org": ids["alpha"], "metric": "complaints_per_10k_users"})).json()
    assert [e["period"] for e in listed] == ["2026-06"]


async def test_san15_three_consecutive_months_terminate_and_a_compliant_month_lifts(h: Harness) -> None:
    ids = await world(h, "gamma", "delta")
    for month, n_gamma, n_delta in (("07", 5, 5), ("08", 6, 1), ("09", 5, 5)):
        h.clock(f"2026-{month}-01T08:00")
        await users(h, ids["gamma"], f"2026-{month}", 10000)
        await users(h, ids["delta"], f"2026-{month}", 10000)
        await complaints(h, ids, "gamma", n_gamma, f"2026-{month}-15")
        await complaints(h, ids, "delta", n_delta, f"2026-{month}-16")
    h.clock("2026-10-01T00:00:01")
    await evaluated(h, ids["gamma"], "complaints_per_10k_users", "2026-09")
    september = await evaluated(h, ids["delta"], "complaints_per_10k_users", "2026-09")
    assert september["consecutive_periods"] == 1  # August was compliant
    # (Nobody completed these complaints in time either: SAN-16's one-month suspensions are not counted here.)
    kinds = [s["kind"] for s in await h.sanctions(org=ids["gamma"]) if s["rule"] == "SAN-15"]
    assert kinds == ["settlement_suspended", "cooperation_terminated"]
    [terminated] = await h.sanctions(org=ids["gamma"], kind="cooperation_terminated")
    assert terminated["evidence"]["figures"]["consecutive_periods"] == 3
    assert terminated["period"] == "2026-09"
    # Delta: suspended for July, lifted by a compliant August, suspended again for September; never terminated.
    delta = [s for s in await h.sanctions(org=ids["delta"]) if s["rule"] == "SAN-15"]
    assert [(s["kind"], s["status"]) for s in delta] == [
        ("settlement_suspended", "lifted"),
        ("settlement_suspended", "active"),
    ]
    assert "2026-08" in delta[0]["lift_reason"]


async def test_san14_san16_timely_completion_exactly_75_percent_is_compliant(h: Harness) -> None:
    ids = await world(h, "eps", "zeta")
    for si, timely in (("eps", 3), ("zeta", 2)):
        done = await complaints(h, ids, si, 4, "2026-05-20")
        for i, cid in enumerate(done):
            finished = "2026-05-21T09:00" if i < timely else "2026-05-22T09:00"  # within 24 h, or not
            await h.publish(
                "complaint.result_submitted",
                ids["cm"],
                {"complaint_id": cid, "regime": MO, "by": ids[si], "occurred_at": f"{finished}:00+08:00"},
            )
    h.clock("2026-06-02T00:00:01")  # evaluated 24 hours after the month: its last complaints had their window
    eps = await evaluated(h, ids["eps"], "timely_completion_rate", "2026-05")
    assert eps["value"] == 75.0
    assert eps["threshold"] == 75.0
    assert eps["compliant"] is True
    assert eps["inputs"] == {"complaints": 4, "timely": 3, "within_hours": "24"}
    zeta = await evaluated(h, ids["zeta"], "timely_completion_rate", "2026-05")
    assert zeta["value"] == 50.0
    assert zeta["compliant"] is False
    assert await h.sanctions(org=ids["eps"]) == []
    [suspension] = await h.sanctions(org=ids["zeta"])
    assert suspension["kind"] == "settlement_suspended"
    assert suspension["rule"] == "SAN-16"
    assert suspension["until"] == "2026-06-30T23:59:59+08:00"  # the settlement month after May
    h.clock("2026-07-01T00:00:01")
    await h.spy.wait_for("sanction.lifted", lambda e: e.data["sanction_id"] == suspension["id"], timeout=10)
    [ended] = await h.sanctions(org=ids["zeta"])
    assert ended["status"] == "lifted"
    assert ended["lift_reason"] == "term ended"
    assert ended["lifted_at"] == "2026-07-01T00:00:00+08:00"


async def test_san12_san13_emp_group_complaints_five_suspend(h: Harness) -> None:
    ids = await world(h, "eta", "theta")
    await complaints(h, ids, "eta", 5, "2026-04-07", flags={"group_customer": True})
    await complaints(h, ids, "theta", 4, "2026-04-08", flags={"group_customer": True})
    await complaints(h, ids, "theta", 3, "2026-04-09")  # consumers (C mode) do not count here
    h.clock("2026-05-01T00:00:01")
    eta = await evaluated(h, ids["eta"], "emp_group_complaints", "2026-04")
    assert eta["value"] == 5
    assert eta["compliant"] is False
    theta = await evaluated(h, ids["theta"], "emp_group_complaints", "2026-04")
    assert theta["value"] == 4
    assert theta["compliant"] is True
    [suspension] = await h.sanctions(org=ids["eta"])
    assert (suspension["kind"], suspension["rule"]) == ("settlement_suspended", "SAN-12")


async def test_san_17_a_missing_input_waits_and_a_late_correction_is_refused(h: Harness) -> None:
    ids = await world(h, "iota")
    await complaints(h, ids, "iota", 2, "2026-03-10")
    h.clock("2026-04-01T00:00:05")

    async def waiting() -> list[dict[str, Any]]:
        found = await h.http.get("/v1/kpis", params={"org": ids["iota"], "state": "no_data"})
        return [e for e in found.json() if e["policy_rule"] == "c-mode-per-10k"]

    [wait] = await eventually(waiting)
    assert wait["period"] == "2026-03"
    assert (await users(h, ids["iota"], "2026-03", 1000)).status_code == 201  # reported late: evaluated now
    march = await evaluated(h, ids["iota"], "complaints_per_10k_users", "2026-03")
    assert march["value"] == 20.0
    assert march["compliant"] is False
    corrected = await users(h, ids["iota"], "2026-03", 100000)
    assert corrected.status_code == 409
    bad = await h.http.post(
        "/v1/kpi-inputs", json={"org": ids["iota"], "period": "2026-13", "metric": "fee_paying_users", "value": 1}
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "period"
    unknown = await users(h, f"nobody-{uuid.uuid4().hex[:6]}", "2026-03", 1)
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "org"


async def test_as17_san19_san20_refunds_deducted_from_the_settlement(h: Harness) -> None:
    ids = await world(h, "alpha", "beta")
    # (a) The customer complained to the SI, which refunds double itself: nothing to deduct.
    [own] = await complaints(
        h, ids, "alpha", 1, "2026-10-12", category="fees", disputed_amount={"amount": "30.00", "currency": "CNY"}
    )
    await h.publish(
        "complaint.result_submitted",
        ids["cm"],
        {
            "complaint_id": own,
            "regime": MO,
            "by": ids["alpha"],
            "occurred_at": "2026-10-12T15:00:00+08:00",
            "refund": {"amount": "60.00", "currency": "CNY", "multiple": 2, "method": "account top-up by China Mobile"},
        },
    )
    assert await h.sanctions(org=ids["alpha"]) == []
    # (b) Via 10086: China Mobile refunds 60 on the SI's behalf → deducted from the SI's settlement.
    [via] = await complaints(
        h, ids, "alpha", 1, "2026-10-13", category="fees", disputed_amount={"amount": "30.00", "currency": "CNY"}
    )
    await h.publish(
        "complaint.result_submitted",
        ids["cm"],
        {
            "complaint_id": via,
            "regime": MO,
            "by": ids["cm"],
            "occurred_at": "2026-10-13T15:00:00+08:00",
            "refund": {"amount": "60.00", "currency": "CNY", "multiple": 2},
        },
    )
    [deduction] = await h.sanctions(org=ids["alpha"])
    assert (deduction["kind"], deduction["rule"]) == ("settlement_deduction", "SAN-19")
    assert deduction["amount"] == {"amount": "60.00", "currency": "CNY"}
    assert deduction["evidence"]["figures"] == {"refunded": "60.00", "multiple": "2", "wrongly_charged": "30.00"}
    assert deduction["complaint_ids"] == [via]
    # (c) A group customer's function fees: all refunded (1×, the SAN-20 parameter), 500 deducted.
    [group] = await complaints(
        h,
        ids,
        "beta",
        1,
        "2026-10-14",
        category="fees",
        flags={"group_customer": True},
        disputed_amount={"amount": "500.00", "currency": "CNY"},
    )
    await h.publish(
        "complaint.result_submitted",
        ids["cm"],
        {
            "complaint_id": group,
            "regime": MO,
            "by": ids["cm"],
            "occurred_at": "2026-10-14T15:00:00+08:00",
            "refund": {"amount": "500.00", "currency": "CNY"},
        },
    )
    [function_fees] = await h.sanctions(org=ids["beta"])
    assert (function_fees["rule"], function_fees["amount"]["amount"]) == ("SAN-20", "500.00")
    assert function_fees["evidence"]["figures"]["multiple"] == "1"


async def test_san10_large_numbers_of_complaints_suspend_the_service(h: Harness) -> None:
    ids = await world(h, "kappa")
    await complaints(h, ids, "kappa", 19, "2026-11-02")
    assert await h.sanctions(org=ids["kappa"]) == []
    await complaints(h, ids, "kappa", 1, "2026-11-03")
    [suspended] = await h.sanctions(org=ids["kappa"])
    assert (suspended["kind"], suspended["rule"]) == ("service_suspended", "SAN-10")
    assert suspended["evidence"]["figures"] == {"count": 20, "threshold": 20}


async def test_san10_customer_service_cost_above_revenue_terminates(h: Harness) -> None:
    ids = await world(h, "lam", "mu")
    h.clock("2026-02-10T10:00")
    for si, cost in (("lam", 120), ("mu", 100)):
        assert (await users(h, ids[si], "2026-02", cost, metric="cs_cost")).status_code == 201
        assert (await users(h, ids[si], "2026-02", 100, metric="revenue")).status_code == 201
    h.clock("2026-03-01T00:00:01")
    lam = await evaluated(h, ids["lam"], "cs_cost_to_revenue", "2026-02")
    assert lam["value"] == 120.0
    assert lam["compliant"] is False
    mu = await evaluated(h, ids["mu"], "cs_cost_to_revenue", "2026-02")
    assert mu["compliant"] is True  # equal is not above
    [terminated] = await h.sanctions(org=ids["lam"])
    assert terminated["kind"] == "cooperation_terminated"


async def test_san_18_san_21_cnd_04_response_rate_counts_the_sis_findings(h: Harness) -> None:
    ids = await world(h, "kappa", "lam")
    h.clock("2026-02-10T10:00")
    for breach in ("contact_change_not_notified", "phone_unreachable"):
        made = await h.http.post("/v1/conduct-findings", json={"org": ids["kappa"], "rule": "CND-04", "breach": breach})
        assert made.status_code == 201, made.text
        assert (made.json()["scored_as"], made.json()["sanctions"]) == ("kpi", [])
    clean = await h.http.post(
        "/v1/conduct-findings", json={"org": ids["lam"], "rule": "si-conduct", "breach": "poor_attitude"}
    )
    assert clean.status_code == 201
    h.clock("2026-03-01T00:00:01")
    kappa = await evaluated(h, ids["kappa"], "si_response_findings", "2026-02")
    assert kappa["rule"] == "SAN-18"
    assert (kappa["value"], kappa["threshold"], kappa["compliant"]) == (2, 0, False)
    assert kappa["inputs"] == {"findings": 2, "contact_change_not_notified": 1, "phone_unreachable": 1}  # SAN-21
    lam = await evaluated(h, ids["lam"], "si_response_findings", "2026-02")
    assert (lam["value"], lam["compliant"]) == (1, False)
    assert await h.sanctions(org=ids["kappa"]) == []  # the rate is the penalty: no sanction of its own in 000-B


async def test_san_11_san_13_sat_02_emp_mode_three_kpis_on_signed_group_customers(h: Harness) -> None:
    ids = await world(h, "mu")
    h.clock("2026-01-05T08:00")
    signed = await users(h, ids["mu"], "2026-01", 120, metric="group_customers")
    assert signed.status_code == 201
    assert "mobile-operator-si:emp-group-complaints" in signed.json()["used_by"]
    group = await complaints(h, ids, "mu", 2, "2026-01-12", flags={"group_customer": True})
    await complaints(h, ids, "mu", 2, "2026-01-13")  # consumers: neither the group volume nor its satisfaction
    for cid, satisfied in zip(group, (True, False), strict=True):
        h.clock("2026-01-14T10:00")
        await h.publish(
            "complaint.closed", ids["cm"], {"complaint_id": cid, "regime": MO, "by": ids["cm"], "outcome": "resolved"}
        )
        await h.publish(
            "callback.recorded",
            ids["cm"],
            {"complaint_id": cid, "regime": MO, "satisfied": satisfied, "by_unit": ids["cm"], "method": "phone"},
        )
    h.clock("2026-01-20T10:00")
    finding = await h.http.post(
        "/v1/conduct-findings", json={"org": ids["mu"], "rule": "CND-04", "breach": "delayed_handling"}
    )
    assert finding.status_code == 201
    h.clock("2026-02-01T00:00:01")
    volume = await evaluated(h, ids["mu"], "emp_group_complaints", "2026-01")
    assert volume["inputs"] == {"complaints": 2, "group_customers": "120"}  # SAN-13: signed group customers
    assert (volume["value"], volume["compliant"]) == (2, True)
    satisfaction = await evaluated(h, ids["mu"], "emp_group_satisfaction", "2026-01")
    assert satisfaction["rule"] == "SAN-11"
    assert satisfaction["inputs"] == {"callbacks": 2, "satisfied": 1}
    assert (satisfaction["value"], satisfaction["threshold"], satisfaction["compliant"]) == (50.0, 80.0, False)
    response = await evaluated(h, ids["mu"], "si_response_findings", "2026-01")
    assert (response["value"], response["compliant"]) == (1, False)
