"""CONF-08: the call centre's confidentiality breaches in the points ledger's rules (DOMAIN §1.4, §5.7)."""

from tousu.contracts.policy import find_policies_dir, load_policies
from tousu.sanctions.domain import points
from tousu.sanctions.domain.rules import RuleBook

CSR = RuleBook.of(load_policies(find_policies_dir())["bank-call-centre-csr"])


def _made(rule: str) -> points.Entry:
    entry = CSR.points_rule(rule)
    assert entry is not None, rule
    made, errors = points.entry(entry, points.EntryInput(verified=True))
    assert errors == []
    assert made is not None
    return made


def test_conf_08_unauthorised_account_query_costs_5_points_and_the_years_awards() -> None:
    made = _made("SAN-93")
    assert (made.points, made.award_ineligible) == (-5, True)


def test_conf_08_breaking_the_confidentiality_rules_costs_10_points_and_the_years_awards() -> None:
    made = _made("SAN-95")
    assert (made.points, made.award_ineligible) == (-10, True)


def test_conf_08_a_verified_serious_leak_ends_the_labour_contract() -> None:
    entry = CSR.points_rule("SAN-103")
    assert entry is not None
    assert entry.kind == "dismissal"
    assert points.is_sanction_kind(entry)
