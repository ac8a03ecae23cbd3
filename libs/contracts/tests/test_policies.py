"""The regime policies (ARCHITECTURE §6): every regime of DOMAIN §0.2 has a file, every stage of DOMAIN §4 is in it
with its clock, and the schema refuses what it does not know."""

import re
from datetime import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tousu.contracts.policy import (
    COMMON_CATEGORIES,
    EVENT_CATALOGUE,
    ConditionRule,
    Policy,
    PolicyError,
    conditions_match,
    find_policies_dir,
    load_policies,
    load_policy,
    load_policy_history,
)
from tousu.contracts.types import ClockKind

REPO = Path(__file__).resolve().parents[3]
POLICIES = REPO / "policies"
DOMAIN_MD = REPO.parent / "shared" / "DOMAIN.md"

CORE = [
    "liaoning-banking-association",
    "cbrc-2012-banking",
    "credit-union-province",
    "bank-call-centre-csr",
    "futures-company",
    "brokerage-branch-hq",
    "fund-sales",
    "insurer-95511",
    "tobacco-bureau",
    "mobile-operator-si",
]
SECONDARY = [
    "property-management",
    "manufacturer-qe",
    "auto-dealer-service",
    "consulting-project",
    "gov-service-centre",
]

# DOMAIN §4's stage tables: the stage ids are the contract (CONTRACT §6 `stage`).
DOMAIN_STAGES: dict[str, list[str]] = {
    "liaoning-banking-association": ["ASSOC_FORWARD", "VERIFY", "MEMBER_REPORT", "OUTLET_RESULT"],
    "credit-union-province": ["OUTLET", "CITY", "PROVINCE", "RECON_DECISION"],
    "tobacco-bureau": [
        "OVERALL_REPLY",
        "REPORT_TO_LEADER",
        "DISPATCH_ACK",
        "UNIT_HANDLING",
        "CONSULT_ANSWER",
        "REPORT_HANDLING",
        "PROVINCIAL_TICKET",
        "CALLBACK",
    ],
    "futures-company": ["FORWARD", "CONTACT", "COMPLETION"],
    "mobile-operator-si": [
        "SI_REPLY",
        "SI_RESOLVE",
        "URGENT_REPLY",
        "DIFFICULT_REPLY",
        "EMAIL_REPLY",
        "ONSITE_ARRIVAL",
        "SECOND_VISIT",
        "FAULT_FIX",
        "IT_NOTICE",
    ],
    "insurer-95511": ["AUDIT_REPORT", "SYSTEM_ACCEPT"],
    "cbrc-2012-banking": ["TRANSFER_RESULT"],
    "bank-call-centre-csr": [],
    "brokerage-branch-hq": [],
    "fund-sales": [],
    "property-management": [
        "DISPATCH",
        "HANDLING",
        "PROGRESS_REPORT",
        "COMPLETION_24H",
        "DAILY_PROGRESS",
        "CALLBACK",
    ],
    "manufacturer-qe": ["HANDLING_FORM", "GENERAL_REPLY", "INTERIM_MEASURE", "PERMANENT_MEASURE"],
    "auto-dealer-service": ["TO_CUSTOMER_DEPT", "TO_MANAGER"],
    "consulting-project": [],
    "gov-service-centre": [],
}

WD, H, MIN, WH, SAME, DAILY = (
    ClockKind.WORKING_DAYS,
    ClockKind.HOURS,
    ClockKind.MINUTES,
    ClockKind.WORKING_HOURS,
    ClockKind.SAME_DAY,
    ClockKind.DAILY_AT,
)

# (regime, stage) → (clock, length) from DOMAIN §4; a [GAP] length is the parameter's default.
DOMAIN_CLOCKS: dict[tuple[str, str], tuple[ClockKind, int]] = {
    ("liaoning-banking-association", "ASSOC_FORWARD"): (WD, 2),  # SLA-01
    ("liaoning-banking-association", "VERIFY"): (WD, 2),  # SLA-02
    ("liaoning-banking-association", "MEMBER_REPORT"): (WD, 5),  # SLA-03
    ("liaoning-banking-association", "OUTLET_RESULT"): (WD, 3),  # SLA-04
    ("credit-union-province", "OUTLET"): (WD, 1),  # SLA-10
    ("credit-union-province", "CITY"): (WD, 2),  # SLA-11
    ("credit-union-province", "PROVINCE"): (WD, 3),  # SLA-12
    ("credit-union-province", "RECON_DECISION"): (WD, 10),  # SLA-15, RCN-03
    ("tobacco-bureau", "OVERALL_REPLY"): (WD, 3),  # SLA-20
    ("tobacco-bureau", "REPORT_TO_LEADER"): (H, 1),  # SLA-26 (parameter default)
    ("tobacco-bureau", "UNIT_HANDLING"): (WD, 2),  # SLA-21
    ("tobacco-bureau", "CONSULT_ANSWER"): (SAME, 0),  # SLA-22
    ("tobacco-bureau", "REPORT_HANDLING"): (WD, 2),  # SLA-23
    ("tobacco-bureau", "PROVINCIAL_TICKET"): (WD, 3),  # SLA-24
    ("tobacco-bureau", "CALLBACK"): (SAME, 0),  # SLA-25
    ("futures-company", "FORWARD"): (H, 1),  # SLA-30
    ("futures-company", "CONTACT"): (H, 24),  # SLA-31
    ("futures-company", "COMPLETION"): (WD, 3),  # SLA-32
    ("mobile-operator-si", "SI_REPLY"): (H, 12),  # SLA-42, SLA-43
    ("mobile-operator-si", "SI_RESOLVE"): (H, 24),  # SLA-42, SLA-43, SLA-55
    ("mobile-operator-si", "URGENT_REPLY"): (H, 24),  # SLA-40
    ("mobile-operator-si", "DIFFICULT_REPLY"): (H, 72),  # SLA-41
    ("mobile-operator-si", "EMAIL_REPLY"): (WD, 1),  # SLA-45
    ("mobile-operator-si", "ONSITE_ARRIVAL"): (WD, 1),  # SLA-46
    ("mobile-operator-si", "SECOND_VISIT"): (WD, 3),  # SLA-47
    ("mobile-operator-si", "FAULT_FIX"): (H, 12),  # SLA-48 (general; SLA-49, SLA-50 by severity)
    ("mobile-operator-si", "IT_NOTICE"): (H, 1),  # SLA-52
    ("insurer-95511", "AUDIT_REPORT"): (WD, 3),  # SLA-60
    ("insurer-95511", "SYSTEM_ACCEPT"): (WD, 1),  # SLA-61
    ("property-management", "DISPATCH"): (MIN, 5),  # SLA-80
    ("property-management", "HANDLING"): (H, 12),  # SLA-81
    ("property-management", "PROGRESS_REPORT"): (H, 24),  # SLA-82
    ("property-management", "COMPLETION_24H"): (H, 24),  # SLA-83
    ("property-management", "DAILY_PROGRESS"): (DAILY, 1),  # SLA-84
    ("property-management", "CALLBACK"): (SAME, 0),  # SLA-85
    ("manufacturer-qe", "HANDLING_FORM"): (H, 1),  # SLA-90
    ("manufacturer-qe", "GENERAL_REPLY"): (WD, 3),  # SLA-91
    ("manufacturer-qe", "INTERIM_MEASURE"): (WH, 8),  # SLA-92
    ("manufacturer-qe", "PERMANENT_MEASURE"): (WD, 2),  # SLA-92
    ("auto-dealer-service", "TO_CUSTOMER_DEPT"): (MIN, 30),  # SLA-93
    ("auto-dealer-service", "TO_MANAGER"): (MIN, 30),  # SLA-94
}

R, A, F = "complaint.received", "complaint.assigned", "complaint.forwarded"
# DOMAIN §4 start events per stage. The policies start on complaint.assigned where DOMAIN says complaint.received
# (routing emits it with occurred_at = received_at and names the owner): the test applies that substitution.
DOMAIN_STARTS: dict[tuple[str, str], set[str]] = {
    ("liaoning-banking-association", "ASSOC_FORWARD"): {R},
    ("liaoning-banking-association", "VERIFY"): {F},
    ("liaoning-banking-association", "MEMBER_REPORT"): {F},
    ("liaoning-banking-association", "OUTLET_RESULT"): {F},
    ("credit-union-province", "OUTLET"): {R},
    ("credit-union-province", "CITY"): {R},
    ("credit-union-province", "PROVINCE"): {R},
    ("credit-union-province", "RECON_DECISION"): {"reconsideration.requested"},
    ("tobacco-bureau", "OVERALL_REPLY"): {R},
    ("tobacco-bureau", "REPORT_TO_LEADER"): {R},
    ("tobacco-bureau", "DISPATCH_ACK"): {F},
    ("tobacco-bureau", "UNIT_HANDLING"): {F, "complaint.redispatched"},
    ("tobacco-bureau", "CONSULT_ANSWER"): {F},
    ("tobacco-bureau", "REPORT_HANDLING"): {F},
    ("tobacco-bureau", "PROVINCIAL_TICKET"): {R},
    ("tobacco-bureau", "CALLBACK"): {"callback.required"},
    ("futures-company", "FORWARD"): {R},
    ("futures-company", "CONTACT"): {F},
    ("futures-company", "COMPLETION"): {F},
    ("mobile-operator-si", "SI_REPLY"): {R, F},
    ("mobile-operator-si", "SI_RESOLVE"): {R, F},
    ("mobile-operator-si", "URGENT_REPLY"): {F},
    ("mobile-operator-si", "DIFFICULT_REPLY"): {F},
    ("mobile-operator-si", "EMAIL_REPLY"): {R},
    ("mobile-operator-si", "ONSITE_ARRIVAL"): {"complaint.verified"},
    ("mobile-operator-si", "SECOND_VISIT"): {"complaint.escalated"},
    ("mobile-operator-si", "FAULT_FIX"): {R},
    ("mobile-operator-si", "IT_NOTICE"): {"complaint.verified"},
    ("insurer-95511", "AUDIT_REPORT"): {R},
    ("insurer-95511", "SYSTEM_ACCEPT"): {R},
    ("cbrc-2012-banking", "TRANSFER_RESULT"): {R},
    ("property-management", "DISPATCH"): {R},
    ("property-management", "HANDLING"): {F},
    ("property-management", "PROGRESS_REPORT"): {F},
    ("property-management", "COMPLETION_24H"): {R},
    ("property-management", "DAILY_PROGRESS"): {"complaint.escalated"},
    ("property-management", "CALLBACK"): {"callback.required"},
    ("manufacturer-qe", "HANDLING_FORM"): {R},
    ("manufacturer-qe", "GENERAL_REPLY"): {R},
    ("manufacturer-qe", "INTERIM_MEASURE"): {R},
    ("manufacturer-qe", "PERMANENT_MEASURE"): {R},
    ("auto-dealer-service", "TO_CUSTOMER_DEPT"): {R},
    ("auto-dealer-service", "TO_MANAGER"): {F, R},
}

RS, RP, CCA = "complaint.result_submitted", "complaint.replied", "complaint.customer_contact_attempted"
DOMAIN_STOPS: dict[tuple[str, str], set[str]] = {
    ("liaoning-banking-association", "ASSOC_FORWARD"): {F},
    ("liaoning-banking-association", "VERIFY"): {"complaint.verified"},
    ("liaoning-banking-association", "MEMBER_REPORT"): {RS},
    ("liaoning-banking-association", "OUTLET_RESULT"): {RS, RP},
    ("credit-union-province", "OUTLET"): {RP},
    ("credit-union-province", "CITY"): {RP},
    ("credit-union-province", "PROVINCE"): {RP},
    ("credit-union-province", "RECON_DECISION"): {"reconsideration.decided"},
    ("tobacco-bureau", "OVERALL_REPLY"): {RP},
    ("tobacco-bureau", "REPORT_TO_LEADER"): {"complaint.approval_decided"},
    ("tobacco-bureau", "DISPATCH_ACK"): {"complaint.acknowledged"},
    ("tobacco-bureau", "UNIT_HANDLING"): {RS},
    ("tobacco-bureau", "CONSULT_ANSWER"): {RP},
    ("tobacco-bureau", "REPORT_HANDLING"): {RS},
    ("tobacco-bureau", "PROVINCIAL_TICKET"): {RS},
    ("tobacco-bureau", "CALLBACK"): {"callback.recorded"},
    ("futures-company", "FORWARD"): {F},
    ("futures-company", "CONTACT"): {CCA},
    ("futures-company", "COMPLETION"): {RS},
    ("mobile-operator-si", "SI_REPLY"): {RP},
    ("mobile-operator-si", "SI_RESOLVE"): {RS},
    ("mobile-operator-si", "URGENT_REPLY"): {RP},
    ("mobile-operator-si", "DIFFICULT_REPLY"): {RP},
    ("mobile-operator-si", "EMAIL_REPLY"): {RP},
    ("mobile-operator-si", "ONSITE_ARRIVAL"): {CCA},
    ("mobile-operator-si", "SECOND_VISIT"): {CCA},
    ("mobile-operator-si", "FAULT_FIX"): {RS},
    ("mobile-operator-si", "IT_NOTICE"): {RS},
    ("insurer-95511", "AUDIT_REPORT"): {F},
    ("insurer-95511", "SYSTEM_ACCEPT"): {"complaint.acknowledged"},
    ("cbrc-2012-banking", "TRANSFER_RESULT"): {RS},
    ("property-management", "DISPATCH"): {F},
    ("property-management", "HANDLING"): {RS},
    ("property-management", "PROGRESS_REPORT"): {"complaint.progress_reported", RS},
    ("property-management", "COMPLETION_24H"): {RS},
    ("property-management", "DAILY_PROGRESS"): {RS},
    ("property-management", "CALLBACK"): {"callback.recorded"},
    ("manufacturer-qe", "HANDLING_FORM"): {F},
    ("manufacturer-qe", "GENERAL_REPLY"): {RP},
    ("manufacturer-qe", "INTERIM_MEASURE"): {RS},
    ("manufacturer-qe", "PERMANENT_MEASURE"): {RP},
    ("auto-dealer-service", "TO_CUSTOMER_DEPT"): {F},
    ("auto-dealer-service", "TO_MANAGER"): {F},
}


@pytest.fixture(scope="module")
def policies() -> dict[str, Policy]:
    return load_policies(POLICIES)


def _edited(tmp_path: Path, regime: str, old: str, new: str, name: str | None = None) -> Path:
    text = (POLICIES / f"{regime}.yaml").read_text(encoding="utf-8")
    assert old in text, f"fixture text {old!r} not in {regime}.yaml"
    target = tmp_path / f"{name or regime}.yaml"
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


# -- files and stage ids ------------------------------------------------------------------------------------------


def test_every_policy_file_loads() -> None:
    files = sorted(POLICIES.glob("*.yaml"))
    assert files
    for file in files:
        assert load_policy(file).id == file.stem


def test_every_regime_of_domain_0_2_has_a_file(policies: dict[str, Policy]) -> None:
    assert sorted(policies) == sorted(CORE + SECONDARY)
    assert {p.id for p in policies.values() if p.tier == "core"} == set(CORE)
    assert {p.id for p in policies.values() if p.tier == "secondary"} == set(SECONDARY)


@pytest.mark.parametrize("regime", CORE + SECONDARY)
def test_stage_ids_are_domain_4s(policies: dict[str, Policy], regime: str) -> None:
    assert [s.id for s in policies[regime].stages] == DOMAIN_STAGES[regime]


@pytest.mark.parametrize(("regime", "stage"), sorted(DOMAIN_CLOCKS))
def test_stage_clock_and_length_are_domain_4s(policies: dict[str, Policy], regime: str, stage: str) -> None:
    policy = policies[regime]
    found = policy.stage(stage)
    assert (found.clock, policy.stage_length(found)) == DOMAIN_CLOCKS[regime, stage]


@pytest.mark.parametrize(("regime", "stage"), sorted(DOMAIN_STARTS))
def test_stage_starts_on_domain_4s_event_with_received_read_as_assigned(
    policies: dict[str, Policy], regime: str, stage: str
) -> None:
    expected = {A if e == R else e for e in DOMAIN_STARTS[regime, stage]}
    found = policies[regime].stage(stage)
    first_starts = {t.event for t in found.start if not t.restarts}
    restarts = {t.event for t in found.start if t.restarts}
    assert first_starts == expected - restarts
    assert restarts <= expected | {"complaint.redispatched"}


@pytest.mark.parametrize(("regime", "stage"), sorted(DOMAIN_STOPS))
def test_stage_stops_on_domain_4s_events(policies: dict[str, Policy], regime: str, stage: str) -> None:
    assert {t.event for t in policies[regime].stage(stage).stop} == DOMAIN_STOPS[regime, stage]


def test_every_stage_has_a_clock_table_and_start_and_stop_entry() -> None:
    listed = {(r, s) for r, stages in DOMAIN_STAGES.items() for s in stages}
    # DISPATCH_ACK and TRANSFER_RESULT have no length in the seed [GAP]: their tenant parameters are the length.
    assert set(DOMAIN_CLOCKS) == listed - {("tobacco-bureau", "DISPATCH_ACK"), ("cbrc-2012-banking", "TRANSFER_RESULT")}
    assert set(DOMAIN_STARTS) == listed
    assert set(DOMAIN_STOPS) == listed


def test_every_stage_cites_its_domain_rules(policies: dict[str, Policy]) -> None:
    for policy in policies.values():
        for stage in policy.stages:
            # DOMAIN §4 cites SLA rules for every stage but cbrc's TRANSFER_RESULT (INT-17, RTE-10).
            prefix = ("INT-", "RTE-") if stage.id == "TRANSFER_RESULT" else ("SLA-",)
            assert any(r.startswith(prefix) for r in stage.rule), (policy.id, stage.id)


def _rule_ids(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "rule" and isinstance(item, list):
                found |= {r for r in item if re.match(r"^[A-Z]{2,4}-\d{1,3}$", r)}
            found |= _rule_ids(item)
    elif isinstance(value, list):
        for item in value:
            found |= _rule_ids(item)
    return found


@pytest.mark.skipif(not DOMAIN_MD.exists(), reason="shared/DOMAIN.md is not beside the checkout")
def test_every_cited_rule_id_exists_in_domain(policies: dict[str, Policy]) -> None:
    text = DOMAIN_MD.read_text(encoding="utf-8")
    defined = {f"{p}-{int(n):02d}" for p, n in re.findall(r"^\|\s*\**([A-Z]{2,4})-(\d{1,3})\**\s*\|", text, re.M)}
    for policy in policies.values():
        cited = {f"{r.split('-')[0]}-{int(r.split('-')[1]):02d}" for r in _rule_ids(policy.model_dump(by_alias=True))}
        assert cited - defined == set(), policy.id


def test_yaml_has_no_flow_mapping_accidents() -> None:
    # "{name: a, b}" in YAML makes "b" a key with no value: in a free-form mapping it would pass unnoticed.
    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                assert isinstance(key, str), f"{where}: non-string key {key!r} (quote yes/no/on/off)"
                assert not (value is None and " " in key), f"{where}: {key!r} looks like a split value - quote it"
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for i, item in enumerate(node):
                walk(item, f"{where}.{i}")

    for file in POLICIES.glob("*.yaml"):
        walk(yaml.safe_load(file.read_text(encoding="utf-8")), file.name)


def test_every_regime_accepts_the_common_categories(policies: dict[str, Policy]) -> None:
    for policy in policies.values():
        ids = [c.id for c in policy.categories]
        assert set(COMMON_CATEGORIES) <= set(ids), policy.id
    assert {"si_application", "boss_billing"} <= {c.id for c in policies["mobile-operator-si"].categories}


def test_event_catalogue_covers_registered_event_types() -> None:
    from tousu.contracts.events import EVENT_TYPES

    assert len(EVENT_CATALOGUE) == 56
    assert set(EVENT_TYPES) <= EVENT_CATALOGUE, "an event type outside ARCHITECTURE §1's catalogue"


# -- the schema refuses what it does not know --------------------------------------------------------------------


def test_a_typo_fails_naming_the_field(tmp_path: Path) -> None:
    bad = _edited(tmp_path, "liaoning-banking-association", "    length: 2\n", "    lenght: 2\n")
    with pytest.raises(PolicyError) as err:
        load_policy(bad)
    message = str(err.value)
    assert "stages.0.lenght" in message
    assert "Extra inputs are not permitted" in message
    assert bad.name in message


def test_a_typo_in_a_condition_operator_fails(tmp_path: Path) -> None:
    bad = _edited(tmp_path, "credit-union-province", "{exists: true}", "{exist: true}")
    with pytest.raises(PolicyError, match="exist"):
        load_policy(bad)


def test_an_unknown_event_type_fails(tmp_path: Path) -> None:
    bad = _edited(
        tmp_path, "futures-company", "      - event: complaint.forwarded\n", "      - event: case.forwarded\n"
    )
    with pytest.raises(PolicyError, match=r"'case\.forwarded' is not an event type of ARCHITECTURE §1"):
        load_policy(bad)


def test_a_duplicate_stage_id_fails(tmp_path: Path) -> None:
    bad = _edited(tmp_path, "futures-company", "  - id: CONTACT\n", "  - id: FORWARD\n")
    with pytest.raises(PolicyError, match="stages: id 'FORWARD' twice"):
        load_policy(bad)


def test_an_unknown_kind_fails(tmp_path: Path) -> None:
    bad = _edited(tmp_path, "futures-company", "kinds: [complaint, consultation]", "kinds: [complaint, gripe]")
    with pytest.raises(PolicyError, match="unknown \\['gripe'\\]"):
        load_policy(bad)


def test_a_condition_on_a_kind_the_regime_lacks_fails(tmp_path: Path) -> None:
    bad = _edited(tmp_path, "tobacco-bureau", "when: {kind: report}", "when: {kind: fault_report}", "tobacco-bureau")
    with pytest.raises(PolicyError, match="kind 'fault_report' is not a kind of this regime"):
        load_policy(bad)


def test_the_id_must_equal_the_file_name(tmp_path: Path) -> None:
    bad = _edited(tmp_path, "fund-sales", "id: fund-sales\n", "id: fund-sales\n", "fund-sale")
    with pytest.raises(PolicyError, match="must equal the file name 'fund-sale'"):
        load_policy(bad)


def test_a_missing_common_category_fails(tmp_path: Path) -> None:
    bad = _edited(tmp_path, "fund-sales", "  - {id: other, name: Other}\n", "")
    with pytest.raises(PolicyError, match=r"common ids \['other'\] are missing"):
        load_policy(bad)


def test_an_undeclared_parameter_fails(tmp_path: Path) -> None:
    bad = _edited(tmp_path, "tobacco-bureau", '"${provincial_ticket_channel}"', '"${provincial_channel}"')
    with pytest.raises(PolicyError, match=r"\$\{provincial_channel\} is used but not declared"):
        load_policy(bad)


def test_an_unquoted_time_of_day_fails(tmp_path: Path) -> None:
    # YAML 1.1 reads 17:00 as the integer 1020.
    bad = _edited(tmp_path, "property-management", 'daily_at: "17:00"', "daily_at: 17:00")
    with pytest.raises(PolicyError, match="quoted strings"):
        load_policy(bad)


def test_an_unknown_owner_or_escalation_target_fails(tmp_path: Path) -> None:
    bad = _edited(tmp_path, "futures-company", "    owner: assignee\n", "    owner: the boss\n")
    with pytest.raises(PolicyError, match="owner 'the boss'"):
        load_policy(bad)
    bad = _edited(tmp_path, "liaoning-banking-association", "on_breach: record_only", "on_breach: somebody")
    with pytest.raises(PolicyError, match="target 'somebody'"):
        load_policy(bad)


def test_an_extension_with_a_cap_but_not_allowed_fails(tmp_path: Path) -> None:
    bad = _edited(tmp_path, "tobacco-bureau", "    extension: &approved_cap_7wd\n      allowed: true\n",
                  "    extension: &approved_cap_7wd\n      allowed: false\n")  # fmt: skip
    with pytest.raises(PolicyError, match="need allowed: true"):
        load_policy(bad)


def test_a_report_due_outside_the_grammar_fails(tmp_path: Path) -> None:
    bad = _edited(tmp_path, "cbrc-2012-banking", "due: period_end+30d", "due: end of July")
    with pytest.raises(PolicyError, match="due 'end of July'"):
        load_policy(bad)


# -- DOMAIN values of key stages (named by rule id) --------------------------------------------------------------


def test_sla_01_assoc_forward_two_working_days_from_the_first_assignment(policies: dict[str, Policy]) -> None:
    stage = policies["liaoning-banking-association"].stage("ASSOC_FORWARD")
    assert (stage.clock, stage.length) == (ClockKind.WORKING_DAYS, 2)
    (start,) = stage.start
    assert (start.event, start.at) == ("complaint.assigned", "occurred_at")
    assert start.when["kind"] == "complaint"
    assert [t.event for t in stage.stop] == ["complaint.forwarded"]
    assert stage.owner == "assignee"
    assert stage.escalation.on_breach == ["record_only"]  # AS-01: no sanction for the association itself


def test_sla_02_sla_03_member_verifies_in_2_wd_and_reports_in_5_wd(policies: dict[str, Policy]) -> None:
    policy = policies["liaoning-banking-association"]
    verify, report = policy.stage("VERIFY"), policy.stage("MEMBER_REPORT")
    assert (verify.length, report.length) == (2, 5)
    assert verify.owner == report.owner == "forward_target"
    assert not report.extension.allowed  # SLA-05 [GAP]: the outlet's progress report does not move it


def test_sla_04_sla_05_outlet_result_and_reply_in_3_wd_moved_by_a_progress_report(policies: dict[str, Policy]) -> None:
    stage = policies["liaoning-banking-association"].stage("OUTLET_RESULT")
    assert (stage.clock, stage.length, stage.stop_mode) == (ClockKind.WORKING_DAYS, 3, "all")
    ext = stage.extension
    assert ext.allowed
    assert ext.requires == ["progress_report"]
    assert ext.cap is None
    assert ext.within_window
    assert [(g.event, g.until) for g in ext.granted_by] == [("complaint.progress_reported", "promised_reply_at")]
    assert stage.escalation.on_breach == ["superior"]


def test_sla_10_sla_11_sla_12_credit_union_1_2_3_working_days_by_authority(policies: dict[str, Policy]) -> None:
    policy = policies["credit-union-province"]
    for stage_id, authority, length in (("OUTLET", "outlet", 1), ("CITY", "city", 2), ("PROVINCE", "province", 3)):
        stage = policy.stage(stage_id)
        assert (stage.clock, stage.length) == (ClockKind.WORKING_DAYS, length)
        (start,) = stage.start
        assert start.event == "complaint.assigned"
        assert conditions_match(start.when, {}, fallback={"kind": "complaint", "authority": authority})
        others = {"outlet", "city", "province"} - {authority}
        assert not any(conditions_match(start.when, {}, fallback={"kind": "complaint", "authority": o}) for o in others)
    assert policy.intake.defaults["authority"] == "outlet"


def test_sla_14_credit_union_extension_needs_explanation_written_report_and_permission(
    policies: dict[str, Policy],
) -> None:
    ext = policies["credit-union-province"].stage("CITY").extension
    assert ext.allowed
    assert ext.within_window
    assert set(ext.requires) == {"explanation", "written_report", "approval"}
    (grant,) = ext.granted_by
    assert grant.event == "complaint.extension_decided"
    assert conditions_match(grant.when, {"approved": True})
    assert not conditions_match(grant.when, {"approved": False})


def test_sla_15_rcn_02_reconsideration_window_15_calendar_days_decision_10_wd(policies: dict[str, Policy]) -> None:
    policy = policies["credit-union-province"]
    recon = policy.intake.reconsideration
    assert recon is not None
    assert (recon.window.clock, recon.window.length, recon.starts_on) == (
        ClockKind.CALENDAR_DAYS,
        15,
        "complaint.replied",
    )
    assert set(recon.lodged_with) == {"superior_of_decider", "banking_association"}
    decision = policy.stage("RECON_DECISION")
    assert (decision.clock, decision.length, decision.owner) == (ClockKind.WORKING_DAYS, 10, "lodged_with")


def test_sla_21_sla_23_tobacco_units_2_wd_extension_capped_at_7_wd(policies: dict[str, Policy]) -> None:
    policy = policies["tobacco-bureau"]
    for stage_id in ("UNIT_HANDLING", "REPORT_HANDLING"):
        stage = policy.stage(stage_id)
        assert (stage.clock, stage.length) == (ClockKind.WORKING_DAYS, 2)
        cap = stage.extension.cap
        assert cap is not None
        assert (cap.clock, cap.length) == (ClockKind.WORKING_DAYS, 7)
        assert stage.extension.requires == ["approval"]
    # RTE-25: the 2nd and 3rd dispatch start UNIT_HANDLING again
    redispatch = [t for t in policy.stage("UNIT_HANDLING").start if t.event == "complaint.redispatched"]
    assert len(redispatch) == 1
    assert redispatch[0].restarts


def test_sla_22_tobacco_consultation_answered_the_same_day(policies: dict[str, Policy]) -> None:
    stage = policies["tobacco-bureau"].stage("CONSULT_ANSWER")
    assert (stage.clock, stage.length) == (ClockKind.SAME_DAY, 0)
    assert stage.start[0].when == {"kind": "consultation"}


def test_sla_24_provincial_ticket_3_wd_extendable_without_cap(policies: dict[str, Policy]) -> None:
    policy = policies["tobacco-bureau"]
    stage = policy.stage("PROVINCIAL_TICKET")
    assert stage.length == 3
    assert stage.extension.allowed
    assert stage.extension.cap is None
    params = policy.parameter_values()
    assert conditions_match(stage.start[0].when, {}, fallback={"channel": "government_referral"}, params=params)
    assert not conditions_match(stage.start[0].when, {}, fallback={"channel": "phone"}, params=params)


def test_sla_26_report_to_leader_immediately_is_a_tenant_parameter(policies: dict[str, Policy]) -> None:
    policy = policies["tobacco-bureau"]
    stage = policy.stage("REPORT_TO_LEADER")
    assert stage.length_param == "report_to_leader_hours"
    assert policy.stage_length(stage) == 1
    assert policy.stage_length(stage, {"report_to_leader_hours": 2}) == 2
    assert policy.stage_length(policy.stage("DISPATCH_ACK")) == 4  # [GAP] default
    with pytest.raises(KeyError):
        policy.parameter_values({"no_such_parameter": 1})


def test_sla_30_sla_31_sla_32_futures_forward_1h_contact_24h_complete_3wd(policies: dict[str, Policy]) -> None:
    policy = policies["futures-company"]
    forward, contact, completion = (policy.stage(s) for s in ("FORWARD", "CONTACT", "COMPLETION"))
    assert (forward.clock, forward.length) == (ClockKind.HOURS, 1)
    assert (contact.clock, contact.length) == (ClockKind.HOURS, 24)
    assert (completion.clock, completion.length) == (ClockKind.WORKING_DAYS, 3)
    assert conditions_match(contact.stop[0].when, {"reached": True})
    assert not conditions_match(contact.stop[0].when, {"reached": False})


def test_lc_04_futures_closure_at_intake_only_when_satisfied(policies: dict[str, Policy]) -> None:
    closure = policies["futures-company"].intake.closure_at_intake
    assert closure.allowed
    assert closure.requires == ["customer_satisfied"]
    assert not policies["credit-union-province"].intake.closure_at_intake.allowed


def test_sla_40_sla_41_sla_42_sla_43_mobile_si_reply_and_dispatch_hours(policies: dict[str, Policy]) -> None:
    policy = policies["mobile-operator-si"]
    hours = {s.id: (s.clock, s.length) for s in policy.stages}
    assert hours["SI_REPLY"] == (ClockKind.HOURS, 12)
    assert hours["SI_RESOLVE"] == (ClockKind.HOURS, 24)
    assert hours["URGENT_REPLY"] == (ClockKind.HOURS, 24)
    assert hours["DIFFICULT_REPLY"] == (ClockKind.HOURS, 72)
    kinds = {"alpha": "vendor", "cmcc-10086": "department"}.get
    urgent = policy.stage("URGENT_REPLY").start[0]
    dispatch = {"to_unit": "alpha", "by": "cmcc-10086"}
    assert conditions_match(urgent.when, dispatch, fallback={"priority": "urgent"}, org_kind=kinds)
    assert not conditions_match(urgent.when, dispatch, fallback={"priority": "difficult"}, org_kind=kinds)
    ordinary = policy.stage("SI_REPLY").start[1]
    assert conditions_match(
        ordinary.when, dispatch, fallback={"priority": "ordinary", "kind": "complaint"}, org_kind=kinds
    )
    assert not conditions_match(
        ordinary.when, dispatch, fallback={"priority": "urgent", "kind": "complaint"}, org_kind=kinds
    )


def test_sla_48_sla_49_sla_50_int_33_fault_fix_2_4_12_hours_by_severity(policies: dict[str, Policy]) -> None:
    policy = policies["mobile-operator-si"]
    stage = policy.stage("FAULT_FIX")
    assert stage.length_by is not None
    assert stage.length_by.field == "fault.severity"
    assert stage.length_by.values == {"severe": 2, "important": 4, "general": 12}

    def severity(fault: dict[str, Any]) -> str:
        return next(
            r.severity for r in policy.classification.fault_severity if conditions_match(r.when, {"fault": fault})
        )

    assert severity({"service_stopped": True, "blocks_normal_use": True}) == "severe"
    assert severity({"service_stopped": False, "blocks_normal_use": True}) == "important"
    assert severity({"service_stopped": False, "blocks_normal_use": False}) == "general"
    assert policy.describe()["stages"][7] == {
        "id": "FAULT_FIX",
        "clock": "hours",
        "length": 12,
        "length_by": {"field": "fault.severity", "values": {"severe": 2, "important": 4, "general": 12}},
    }


def test_sla_60_sla_61_insurer_12378_referrals_3_wd_with_violation_else_1_wd(policies: dict[str, Policy]) -> None:
    policy = policies["insurer-95511"]
    audit, accept = policy.stage("AUDIT_REPORT"), policy.stage("SYSTEM_ACCEPT")
    assert (audit.length, accept.length) == (3, 1)
    violation = {"channel": "regulator_referral", "flags": {"violation_suspected": True}}
    plain = {"channel": "regulator_referral", "flags": {}}
    assert conditions_match(audit.start[0].when, {}, fallback=violation)
    assert not conditions_match(audit.start[0].when, {}, fallback=plain)
    assert conditions_match(accept.start[0].when, {}, fallback=plain)
    assert not conditions_match(accept.start[0].when, {}, fallback=violation)


def test_lc_10_int_36_insurer_withdrawal_before_transfer_and_irreversible_upgrade(policies: dict[str, Policy]) -> None:
    intake = policies["insurer-95511"].intake
    assert intake.withdrawal == "before_transfer"
    assert intake.reclassification.irreversible
    assert any(
        u.field == "kind" and "defused" in u.from_ and u.to == "complaint" for u in intake.reclassification.upgrades
    )


def test_sla_80_to_sla_85_property_ladder(policies: dict[str, Policy]) -> None:
    policy = policies["property-management"]
    assert (policy.stage("DISPATCH").clock, policy.stage("DISPATCH").length) == (ClockKind.MINUTES, 5)
    handling = policy.stage("HANDLING")
    assert handling.extension.requires == ["customer_agreement"]  # an agreed time prevails
    assert policy.stage("COMPLETION_24H").escalation.on_breach == ["role:cs-supervisor", "role:department-head"]
    daily = policy.stage("DAILY_PROGRESS")
    assert daily.daily_at == time(17, 0)
    assert daily.recurring is not None
    assert daily.start[0].when == {"stage": "COMPLETION_24H"}
    assert policy.describe()["stages"][4] == {
        "id": "DAILY_PROGRESS",
        "clock": "daily_at",
        "length": 1,
        "daily_at": "17:00",
    }


def test_sla_90_sla_91_sla_92_manufacturer_working_hours_and_major_split(policies: dict[str, Policy]) -> None:
    policy = policies["manufacturer-qe"]
    interim = policy.stage("INTERIM_MEASURE")
    assert (interim.clock, interim.length) == (ClockKind.WORKING_HOURS, 8)
    assert [(w.start, w.end) for w in policy.calendar.business_hours] == [
        (time(8, 30), time(12, 0)),
        (time(13, 30), time(18, 0)),
    ]  # AS-25 (b)
    general = policy.stage("GENERAL_REPLY").start[0].when
    assert conditions_match(general, {}, fallback={"priority": "ordinary"})
    assert not conditions_match(general, {}, fallback={"priority": "major"})
    assert conditions_match(interim.start[0].when, {}, fallback={"priority": "major"})


def test_sla_93_sla_94_auto_dealer_30_minute_hand_offs(policies: dict[str, Policy]) -> None:
    policy = policies["auto-dealer-service"]
    params = policy.parameter_values()
    kinds = {"sales": "department", "customer": "customer-dept"}.get
    first = policy.stage("TO_CUSTOMER_DEPT")
    assert (first.clock, first.length) == (ClockKind.MINUTES, 30)
    assert conditions_match(first.start[0].when, {"receiving_unit": "sales"}, params=params, org_kind=kinds)
    assert not conditions_match(first.start[0].when, {"receiving_unit": "customer"}, params=params, org_kind=kinds)
    second = policy.stage("TO_MANAGER")
    stop = second.stop[0].when
    assert conditions_match(stop, {"by": "customer"}, params=params, org_kind=kinds, owner_unit="customer")
    assert not conditions_match(stop, {"by": "sales"}, params=params, org_kind=kinds, owner_unit="customer")


def test_sla_62_sla_54_sla_96_timing_rules_that_are_not_clocks_are_parameters_or_calendars(
    policies: dict[str, Policy],
) -> None:
    assert policies["insurer-95511"].parameter_values()["online_transfer_after_minutes"] == 15
    assert policies["mobile-operator-si"].parameter_values()["si_change_notice_working_days"] == 15
    hours = [(w.start, w.end) for w in policies["gov-service-centre"].calendar.business_hours]
    assert hours == [(time(8, 30), time(12, 0)), (time(14, 30), time(17, 30))]
    assert policies["bank-call-centre-csr"].stages == []  # SLA-70…73 time calls and staff, not complaints


def test_conv_12_warning_defaults_to_three_quarters_of_the_window(policies: dict[str, Policy]) -> None:
    stages = [s for p in policies.values() for s in p.stages]
    assert sum(1 for s in stages if s.warning == 0.75) >= len(stages) - 1
    assert policies["property-management"].stage("DAILY_PROGRESS").warning is None


# -- intake and classification as data -------------------------------------------------------------------------


def _accepts(policy: Policy, submission: dict[str, Any]) -> list[str]:
    """The rule ids of the acceptance conditions a submission fails."""
    return [r.rule[-1] for r in policy.intake.acceptance if not r.matches(submission)]


def test_int_21_credit_union_acceptance_conditions(policies: dict[str, Policy]) -> None:
    policy = policies["credit-union-province"]
    good = {
        "kind": "complaint",
        "category": "fees",
        "facts": "charged 2 yuan for SMS notification",
        "complainant": {"standing": "direct"},
        "respondent": {"unit": "cu-outlet-3", "staff": []},
    }
    assert _accepts(policy, good) == []
    neighbour = {**good, "complainant": {"standing": "agent", "authorisation_ref": None}}
    assert _accepts(policy, neighbour) == ["004-B 第五条(三)"]  # AS-10 (b)
    authorised = {**good, "complainant": {"standing": "agent", "authorisation_ref": "auth-1"}}
    assert _accepts(policy, authorised) == []
    anonymous = {**good, "facts": "", "respondent": {"unit": "", "staff": []}}
    assert _accepts(policy, anonymous) == ["004-B 第五条(四)", "004-B 第五条(五)"]  # AS-10 (a)
    consultation = {**anonymous, "kind": "consultation"}
    assert _accepts(policy, consultation) == []  # the conditions are for complaints


def test_int_22_rte_08_credit_union_staff_violation_is_referred_not_handled(policies: dict[str, Policy]) -> None:
    policy = policies["credit-union-province"]
    (exclusion,) = policy.intake.scope_exclusions
    assert conditions_match(exclusion.when, {"category": "staff_violation"})
    assert exclusion.refer_to == "role:supervision-security"
    (refer,) = policy.routing.refer
    assert refer.exclusive
    assert refer.to == exclusion.refer_to
    futures = policies["futures-company"].routing.refer
    assert futures
    assert not any(r.exclusive for r in futures)


def test_int_44_auto_dealer_major_complaint_definition(policies: dict[str, Policy]) -> None:
    policy = policies["auto-dealer-service"]
    params = policy.parameter_values()
    (major,) = policy.classification.major

    def is_major(data: dict[str, Any]) -> bool:
        return major.matches(data, params=params)

    assert is_major({"flags": {"media_exposure": True}})
    assert is_major({"channel": "government_referral"})
    assert is_major({"disputed_amount": {"amount": "8000.00"}})
    assert not is_major({"disputed_amount": {"amount": "200.00"}, "flags": {}})
    assert not major.matches({"disputed_amount": {"amount": "8000.00"}}, params={**params, "large_loss_amount": 10000})


def test_int_31_mobile_major_complaint_definition(policies: dict[str, Policy]) -> None:
    (major,) = policies["mobile-operator-si"].classification.major
    assert major.matches({"flags": {"escalation_tendency": True}})
    assert not major.matches({"flags": {}})


def test_rte_04_credit_union_routing_ladder_by_authority_level(policies: dict[str, Policy]) -> None:
    ladder = policies["credit-union-province"].routing.assign
    first = [
        next(r for r in ladder if conditions_match(r.when, {"authority": a})) for a in ("province", "city", "outlet")
    ]
    assert [r.to.authority_level for r in first] == ["province", "city", "outlet"]
    assert all(r.to.unit == "respondent_unit" for r in first)


def test_every_regime_has_a_routing_ladder_naming_the_first_owner(policies: dict[str, Policy]) -> None:
    for policy in policies.values():
        assert policy.routing.assign, policy.id
        assert not policy.routing.assign[-1].when, f"{policy.id}: the last rule should catch everything"


def test_rcn_01_san_48_required_action_fields(policies: dict[str, Policy]) -> None:
    requires = policies["credit-union-province"].routing.action_requires
    assert requires["reply_customer"] == ["method", "reconsideration_notice"]
    assert "responsible_handling" in policies["futures-company"].routing.action_requires["submit_result"]


# -- the condition language ------------------------------------------------------------------------------------


def test_conditions_fall_back_to_the_complaint_and_resolve_parameters() -> None:
    when = {"kind": ["complaint", "report"], "channel": "${ch}", "flags.litigation": {"ne": True}}
    complaint = {"kind": "report", "channel": "fax", "flags": {}}
    assert conditions_match(when, {"to_unit": "x"}, fallback=complaint, params={"ch": "fax"})
    assert not conditions_match(when, {"kind": "consultation"}, fallback=complaint, params={"ch": "fax"})
    assert not conditions_match(when, {}, fallback={**complaint, "flags": {"litigation": True}}, params={"ch": "fax"})


def test_conditions_compare_numbers_and_check_presence() -> None:
    rule = ConditionRule.model_validate(
        {"rule": "CONV-10", "description": "≥ 5 includes 5", "when": {"n": {"gte": 5}, "ref": {"exists": True}}}
    )
    assert rule.matches({"n": 5, "ref": "a"})
    assert not rule.matches({"n": 4.99, "ref": "a"})
    assert not rule.matches({"n": 6, "ref": ""})
    assert not rule.matches({"ref": "a"})


def test_org_kind_conditions_need_a_registry() -> None:
    with pytest.raises(ValueError, match="organisation registry"):
        conditions_match({"to_unit": {"org_kind": "vendor"}}, {"to_unit": "alpha"})


# -- describe, loading, finding ------------------------------------------------------------------------------------


def test_describe_has_contract_2s_regime_shape(policies: dict[str, Policy]) -> None:
    for policy in policies.values():
        described = policy.describe()
        assert {"id", "version", "kinds", "categories", "stages", "reports"} <= set(described)
        assert described["id"] == policy.id
        assert described["version"] == policy.version
        assert all(set(c) == {"id", "name"} for c in described["categories"])
        assert all({"id", "clock", "length"} <= set(s) for s in described["stages"])
        assert all(set(r) == {"kind", "period", "due"} for r in described["reports"])
    liaoning = policies["liaoning-banking-association"].describe()
    assert liaoning["stages"][0] == {"id": "ASSOC_FORWARD", "clock": "working_days", "length": 2}


def test_rpt_04_sla_65_rpt_16_sla_16_rpt_18_sla_86_report_due_dates(policies: dict[str, Policy]) -> None:
    def due(regime: str, kind: str) -> str | None:
        return next(r.due for r in policies[regime].reports if r.kind == kind)

    assert due("cbrc-2012-banking", "regulator-semiannual") == "period_end+30d"  # 06-30 → 07-30, 12-31 → 01-30
    assert due("credit-union-province", "mechanism-annual") == "period_end"
    assert due("property-management", "monthly-statistics") == "period_start+24d"  # before the 25th
    assert due("liaoning-banking-association", "association-bulletin") is None  # [GAP]
    kinds = {r.kind for p in policies.values() for r in p.reports}
    assert {"regulator-semiannual", "association-bulletin", "monthly-compliance", "si-service-analysis"} <= kinds
    assert "tobacco-circular" in kinds


def test_versions_are_kept_and_history_loads_older_ones(tmp_path: Path) -> None:
    for file in POLICIES.glob("*.yaml"):
        (tmp_path / file.name).write_text(file.read_text(encoding="utf-8"), encoding="utf-8")
    archive = tmp_path / "history"
    archive.mkdir()
    older = (POLICIES / "futures-company.yaml").read_text(encoding="utf-8")
    older = older.replace('version: "2026.1"', 'version: "2025.9"').replace("    length: 24\n", "    length: 48\n", 1)
    (archive / "futures-company@2025.9.yaml").write_text(older, encoding="utf-8")
    history = load_policy_history(tmp_path)
    assert sorted(history["futures-company"]) == ["2025.9", "2026.1"]
    assert history["futures-company"]["2025.9"].stage("CONTACT").length == 48
    assert history["futures-company"]["2026.1"].stage("CONTACT").length == 24
    assert load_policies(tmp_path)["futures-company"].version == "2026.1"  # the one in force


def test_a_history_file_must_match_its_version(tmp_path: Path) -> None:
    bad = _edited(tmp_path, "fund-sales", 'version: "2026.1"', 'version: "2026.2"', "fund-sales@2026.1")
    with pytest.raises(PolicyError, match=r"must equal the file name's '2026\.1'"):
        load_policy(bad)


def test_find_policies_dir_env_then_walking_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOUSU_POLICIES_DIR", raising=False)
    nested = REPO / "libs" / "contracts"
    assert find_policies_dir(nested) == POLICIES
    monkeypatch.chdir(nested)
    assert find_policies_dir() == POLICIES
    monkeypatch.setenv("TOUSU_POLICIES_DIR", str(tmp_path))
    assert find_policies_dir() == tmp_path
    monkeypatch.setenv("TOUSU_POLICIES_DIR", str(tmp_path / "missing"))
    with pytest.raises(PolicyError, match="no such directory"):
        find_policies_dir()
