"""Conduct rules (DOMAIN §1.3) scored on a finding (`POST /v1/conduct-findings`): a sanction with the CND id, the
finding as evidence and its issuer; graded discipline up one level (SAN-57); points for the call centre (CND-05).
Sanctions alone on the real broker and database."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sanctions_harness import Harness, harness

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def h(postgres_url: str) -> AsyncIterator[Harness]:
    async with harness(postgres_url) as running:
        yield running


async def tree(h: Harness, regime: str) -> dict[str, str]:
    """top (kind member) → unit (kind outlet)."""
    n = uuid.uuid4().hex[:6]
    ids = {"top": f"top-{n}", "unit": f"unit-{n}"}
    await h.orgs(
        {"id": ids["top"], "name": "上级", "kind": "member", "tenant": ids["top"], "regimes": [regime]},
        {
            "id": ids["unit"],
            "name": "网点",
            "kind": "outlet",
            "parent": ids["top"],
            "tenant": ids["top"],
            "regimes": [regime],
        },
    )
    return ids


async def find(h: Harness, when: str, **body: Any) -> Any:
    h.clock(when)
    return await h.http.post("/v1/conduct-findings", json=body)


# (regime, CND id, a breach the rule lists, sanction kind, issuer)
SANCTIONED = [
    (
        "liaoning-banking-association",
        "CND-01",
        "covering_up",
        "rectification_opinion",
        "member unit complaint department",
    ),
    ("futures-company", "CND-02", "casual_promise", "rectification_order", "合规稽核部"),
    ("tobacco-bureau", "CND-03", "not_reported_truthfully", "accountability_case", "city rectification office"),
    ("gov-service-centre", "CND-06", "refusing_to_accept_or_handle", "accountability_case", "discipline supervision"),
    (
        "credit-union-province",
        "CND-07",
        "criticism_not_accepted",
        "rectification_order",
        "superior complaint department",
    ),
]


@pytest.mark.parametrize(("regime", "cnd", "breach", "kind", "issuer"), SANCTIONED, ids=[s[1] for s in SANCTIONED])
async def test_cnd_01_02_03_06_07_a_finding_is_a_sanction_with_its_rule_evidence_and_issuer(
    h: Harness, regime: str, cnd: str, breach: str, kind: str, issuer: str
) -> None:
    ids = await tree(h, regime)
    cid = await h.received(ids["top"], regime, "2026-06-01T09:00", respondent_unit=ids["unit"])
    made = await find(
        h, "2026-06-02T10:00", org=ids["unit"], rule=cnd, breach=breach, persons=["staff-2"], complaint_id=cid
    )
    assert made.status_code == 201, made.text
    assert (made.json()["rule"], made.json()["breach"], made.json()["scored_as"]) == (cnd, breach, "sanction")
    first = [s for s in await h.sanctions(org=ids["unit"]) if s["rule"] == cnd]
    assert len(first) == 1
    [sanction] = first
    assert sanction["id"] in made.json()["sanctions"]
    assert (sanction["kind"], sanction["issuer"], sanction["target_persons"]) == (kind, issuer, ["staff-2"])
    assert sanction["evidence"]["complaint_ids"] == [cid]
    assert sanction["evidence"]["figures"] == {"breach": breach}
    assert sanction["imposed_at"].startswith("2026-06-02T10:00")
    # A breach the rule does not list is not a finding of it; nothing is imposed.
    wrong = await find(h, "2026-06-02T11:00", org=ids["unit"], rule=cnd, breach="late_lunch")
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0] == {
        "field": "breach",
        "message": wrong.json()["errors"][0]["message"],
        "rule": cnd,
    }
    assert len([s for s in await h.sanctions(org=ids["unit"]) if s["rule"] == cnd]) == 1
    # Lifted with a reason.
    lifted = await h.http.post(f"/v1/sanctions/{sanction['id']}/lifting", json={"reason": "finding overturned"})
    assert lifted.json()["status"] == "lifted"
    [listed] = (await h.http.get("/v1/conduct-findings", params={"org": ids["unit"]})).json()
    assert (listed["rule"], listed["breach"], listed["complaint_id"]) == (cnd, breach, cid)


async def test_cnd_06_san_57_the_superior_answers_for_the_level_below(h: Harness) -> None:
    ids = await tree(h, "gov-service-centre")
    made = await find(h, "2026-07-06T15:00", org=ids["unit"], rule="prohibitions", breach="dragging_beyond_limit")
    assert made.status_code == 201, made.text
    own, superior = [s for s in await h.sanctions() if s["target_org"] in (ids["unit"], ids["top"])]
    assert (own["rule"], own["target_org"]) == ("CND-06", ids["unit"])
    assert (superior["rule"], superior["kind"], superior["target_org"]) == ("SAN-57", "accountability_case", ids["top"])
    assert superior["requirement"] == "the superior leader answers for the level below"
    assert (superior["policy_rule"], superior["evidence"]["figures"]) == (
        "graded-discipline",
        {"breach": "dragging_beyond_limit"},
    )
    # Lifting the post's case lifts its superior's with it.
    await h.http.post(f"/v1/sanctions/{own['id']}/lifting", json={"reason": "not the post's fault"})
    assert (await h.http.get(f"/v1/sanctions/{superior['id']}")).json()["status"] == "lifted"


async def test_cnd_05_call_standards_scored_as_points(h: Harness) -> None:
    org = f"ccc-{uuid.uuid4().hex[:6]}"
    await h.orgs(
        {"id": org, "name": "客服中心", "kind": "department", "tenant": org, "regimes": ["bank-call-centre-csr"]}
    )
    phrase = await find(h, "2026-05-04T10:00", org=org, rule="CND-05", breach="forbidden_phrase", persons=["csr-7"])
    assert phrase.status_code == 201, phrase.text
    assert phrase.json()["scored_as"] == "points"
    unverified = await find(
        h, "2026-05-05T10:00", org=org, rule="CND-05", breach="swearing_or_fraud", persons=["csr-7"]
    )
    assert unverified.status_code == 422  # SAN-92 needs the investigation's verification
    sworn = await find(
        h,
        "2026-05-05T11:00",
        org=org,
        rule="call-standards",
        breach="swearing_or_fraud",
        persons=["csr-7"],
        verified=True,
    )
    assert sworn.status_code == 201, sworn.text
    nobody = await find(h, "2026-05-05T12:00", org=org, rule="CND-05", breach="no_standard_script")
    assert nobody.status_code == 422
    assert nobody.json()["errors"][0] == {
        "field": "persons",
        "message": nobody.json()["errors"][0]["message"],
        "rule": "CND-05",
    }
    ledger = (await h.http.get("/v1/points", params={"org": org, "person": "csr-7"})).json()
    assert [(e["rule"], e["points"]) for e in ledger["entries"]] == [("SAN-76", -1), ("SAN-92", -5)]
    [quarter] = ledger["quarters"]
    assert (quarter["adjustment"], quarter["award_ineligible"]) == (-6, True)
    [ineligible] = await h.sanctions(org=org, kind="award_ineligible")
    assert ineligible["target_persons"] == ["csr-7"]


async def test_conduct_a_finding_names_a_conduct_rule_of_the_units_regime(h: Harness) -> None:
    ids = await tree(h, "tobacco-bureau")
    unknown = await find(h, "2026-06-03T10:00", org=ids["unit"], rule="CND-05", breach="forbidden_phrase")
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "rule"
    assert "receiver-conduct" in unknown.json()["errors"][0]["message"]
