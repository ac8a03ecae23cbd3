"""Every regime's `sanctions:` entries read as runnable rules, every SAN rule of DOMAIN §5 has its entry, and the
call-centre points are DOMAIN §5.7's, entry by entry. No I/O beyond reading policies/."""

from decimal import Decimal
from typing import Any

import pytest

from tousu.contracts.policy import Policy, find_policies_dir, load_policies
from tousu.sanctions.domain import kpis, points
from tousu.sanctions.domain.rules import KpiTrigger, PointsParams, PointsTrigger, RuleBook, RuleError, parse_rule

POLICIES = load_policies(find_policies_dir())

SAN_RULES = [
    *range(1, 6),
    *range(10, 22),
    *range(25, 29),
    *range(30, 40),
    *range(42, 47),
    48,
    49,
    50,
    51,
    52,
    53,
    55,
    56,
    57,
    *range(60, 69),
    *range(70, 84),
    *range(85, 96),
    *range(100, 113),
    *range(115, 119),
]
"""The SAN ids of DOMAIN §5 for the regimes of §0.2 (the bank-branch practice of SAN-52/53 is bundled with the
call-centre regime, whose sources include those report templates)."""


def test_every_regime_reads_and_every_san_rule_has_an_entry() -> None:
    cited: set[str] = set()
    for policy in POLICIES.values():
        RuleBook.of(policy)  # raises on anything this service could not run
        for entry in policy.sanctions:
            cited.update(entry.rule)
            if entry.status == "placeholder":
                assert entry.description, f"{policy.id}.{entry.id}: a placeholder says why"
    missing = [f"SAN-{n:02d}" for n in SAN_RULES if f"SAN-{n:02d}" not in cited]
    assert missing == []


def test_rule_errors_name_the_regime_the_entry_and_the_field() -> None:
    policy = POLICIES["liaoning-banking-association"]
    broken = policy.model_copy(
        update={"sanctions": [policy.sanctions[0].model_copy(update={"trigger": {"event": "sla.breached", "wen": {}}})]}
    )
    with pytest.raises(RuleError, match=r"liaoning-banking-association\.yaml: sanctions\.interview-unaccepted: wen"):
        RuleBook.of(broken)
    chained = policy.model_copy(
        update={"sanctions": [policy.sanctions[-2].model_copy(update={"trigger": {"on_sanction": ["no-such-rule"]}})]}
    )
    with pytest.raises(RuleError, match="on_sanction 'no-such-rule' is not a rule"):
        RuleBook.of(chained)
    two = policy.sanctions[0].model_copy(update={"trigger": {"event": "sla.breached", "metric": "m"}})
    with pytest.raises(RuleError, match="exactly one of"):
        parse_rule(two, policy.parameter_values())


def test_conv11_multiple_is_the_named_parameter() -> None:
    policy = POLICIES["liaoning-banking-association"]
    three = policy.model_copy(
        update={
            "parameters": {
                **policy.parameters,
                "multiple_times": policy.parameters["multiple_times"].model_copy(update={"default": 3}),
            }
        }
    )
    assert isinstance(three, Policy)
    count = RuleBook.of(three).rule("interview-same-outlet-same-problem").trigger
    assert count.count.at_least == 3


# DOMAIN §5.7: (entry, points, loses the year's award eligibility, quarterly score set to)
POINTS: list[tuple[str, int, bool, int | None]] = [
    ("SAN-61", 1, False, None),
    ("SAN-62", 5, False, None),
    ("SAN-63", 5, False, None),
    ("SAN-65", 10, False, None),
    ("SAN-66", 5, False, None),
    ("SAN-67", 5, False, None),
    ("SAN-70", -2, False, None),
    ("SAN-71", -1, False, None),
    ("SAN-72", -2, False, None),
    ("SAN-73", -2, False, None),
    ("SAN-74", -1, False, None),
    ("SAN-75", -1, False, None),
    ("SAN-76", -1, False, None),
    ("SAN-77", -2, False, None),
    ("SAN-78", -2, False, None),
    ("SAN-79", -1, False, None),
    ("SAN-80", -2, False, None),
    ("SAN-81", -2, False, None),
    ("SAN-82", -2, False, None),
    ("SAN-83", -2, False, None),
    ("SAN-85", -5, True, None),
    ("SAN-86", -5, True, None),
    ("SAN-87", -10, True, None),
    ("SAN-88", -5, True, None),
    ("SAN-89", -5, True, None),
    ("SAN-90", -10, True, None),
    ("SAN-91", -5, True, None),
    ("SAN-92", -5, True, None),
    ("SAN-93", -5, True, None),
    ("SAN-94", -5, True, None),
    ("SAN-95", -10, True, None),
    ("SAN-104", 0, False, 0),
    ("SAN-105", 0, False, 0),
    ("SAN-107", -20, False, None),
    ("SAN-109", 0, False, 0),
    ("SAN-110", -10, False, None),
    ("SAN-111", -20, False, None),
    ("SAN-112", 0, False, 0),
    ("SAN-118", -2, False, None),
]
CSR = RuleBook.of(POLICIES["bank-call-centre-csr"])


@pytest.mark.parametrize(("rule", "value", "ineligible", "score"), POINTS, ids=[p[0] for p in POINTS])
def test_san6x_san11x_cnd05_points_are_domain_5_7s(rule: str, value: int, ineligible: bool, score: int | None) -> None:
    entry = CSR.points_rule(rule)
    assert entry is not None
    made, errors = points.entry(entry, points.EntryInput(verified=True, minutes=10))
    assert errors == []
    assert made is not None
    assert (made.points, made.award_ineligible, made.score_set_to) == (value, ineligible, score)


def test_san64_technical_expert_by_rank() -> None:
    rule = CSR.points_rule("SAN-64")
    assert rule is not None
    ranked = [points.entry(rule, points.EntryInput(rank=r))[0] for r in (1, 2, 3)]
    assert [e.points for e in ranked if e] == [10, 6, 3]


@pytest.mark.parametrize(
    ("rule", "kind"),
    [
        ("SAN-100", "dismissal"),
        ("SAN-101", "dismissal"),
        ("SAN-102", "accountability_case"),
        ("SAN-103", "dismissal"),
        ("SAN-106", "dismissal"),
        ("SAN-108", "accountability_case"),
        ("SAN-115", "dismissal"),
        ("SAN-116", "offpost_training"),
    ],
)
def test_san10x_san11x_serious_cases_name_their_sanction(rule: str, kind: str) -> None:
    entry = CSR.points_rule(rule)
    assert entry is not None
    assert entry.kind == kind
    assert points.is_sanction_kind(entry)


def test_san105_san107_a_serious_case_adds_dismissal() -> None:
    for rule in ("SAN-105", "SAN-107", "SAN-109", "SAN-110", "SAN-111", "SAN-112", "SAN-102", "SAN-108"):
        entry = CSR.points_rule(rule)
        assert entry is not None
        params: Any = entry.params
        assert isinstance(params, PointsParams)
        assert params.serious == "dismissal", rule


def test_san116_offpost_training_after_the_parameterised_count_of_failed_quarters() -> None:
    entry = CSR.rule("appraisal-failed")
    assert isinstance(entry.trigger, PointsTrigger)
    parameter = POLICIES["bank-call-centre-csr"].parameters["failed_quarters_for_offpost_training"].default
    assert (entry.trigger.occurrences, entry.trigger.distinct) == (parameter, "quarter")


def with_defaults(regime: str, **values: Any) -> Policy:
    """The regime with some parameters set as a tenant would set them."""
    policy = POLICIES[regime]
    changed = {name: policy.parameters[name].model_copy(update={"default": v}) for name, v in values.items()}
    return policy.model_copy(update={"parameters": {**policy.parameters, **changed}})


# Every value the sources left open that a `sanctions:` entry uses: (regime, entry, parameter, where it lands).
CHOSEN: list[tuple[str, str, str, str]] = [
    ("mobile-operator-si", "emp-group-satisfaction", "emp_satisfaction_min_ratio", "threshold"),
    ("mobile-operator-si", "response-rate", "si_response_findings_allowed", "threshold"),
    ("mobile-operator-si", "mass-complaints-suspension", "large_numbers_window_days", "count.within_days"),
    ("bank-call-centre-csr", "framework", "base_quarterly_score", "base"),
    ("bank-call-centre-csr", "training-absence", "training_absence_points", "params.points"),
    ("cbrc-2012-banking", "appraisal-and-internal-control", "in_time_min_ratio", "threshold"),
    ("auto-dealer-service", "outcome-assessment", "responsibility_complaints_allowed", "threshold"),
    ("credit-union-province", "responsibility-complaints", "responsibility_complaints_allowed", "threshold"),
    ("credit-union-province", "unrectified-responsibility", "unrectified_allowed", "threshold"),
    ("futures-company", "monthly-complaints-per-department", "many_complaints_count", "threshold"),
    ("tobacco-bureau", "quarterly-appraisal", "accountability_cases_allowed", "threshold"),
]


def landed(book: RuleBook, entry: str, where: str) -> Any:
    rule = book.rule(entry)
    value: Any = rule.params if where.startswith("params.") else rule.trigger
    for part in where.removeprefix("params.").split("."):
        value = getattr(value, part)
    return value


@pytest.mark.parametrize(("regime", "entry", "parameter", "where"), CHOSEN, ids=[c[1] for c in CHOSEN])
def test_chosen_values_are_named_parameters_a_tenant_can_override(
    regime: str, entry: str, parameter: str, where: str
) -> None:
    declared = POLICIES[regime].parameters[parameter]
    assert declared.description
    assert declared.rule
    assert landed(RuleBook.of(POLICIES[regime]), entry, where) == Decimal(str(declared.default))
    assert landed(RuleBook.of(with_defaults(regime, **{parameter: 7})), entry, where) == 7


def test_san_11_sat_02_an_overridden_satisfaction_threshold_changes_the_verdict() -> None:
    """3 satisfied callbacks of 4 (75 %): not compliant at the default 80 %, compliant where the tenant asks 75 %."""

    def verdict(book: RuleBook) -> bool:
        trigger = book.rule("emp-group-satisfaction").trigger
        assert isinstance(trigger, KpiTrigger)
        outcome = kpis.share(trigger, kpis.threshold_of(trigger, None), 3, 4, {})
        assert outcome is not None
        return outcome.compliant

    assert verdict(RuleBook.of(POLICIES["mobile-operator-si"])) is False
    assert verdict(RuleBook.of(with_defaults("mobile-operator-si", emp_satisfaction_min_ratio="0.75"))) is True


def test_san_117_an_overridden_training_absence_deduction_is_what_the_ledger_records() -> None:
    book = RuleBook.of(with_defaults("bank-call-centre-csr", training_absence_points=-3))
    made, errors = points.entry(book.rule("training-absence"), points.EntryInput())
    assert (errors, made.points if made else None) == ([], -3)
    default, _ = points.entry(CSR.rule("training-absence"), points.EntryInput())
    assert default is not None
    assert default.points == -2
