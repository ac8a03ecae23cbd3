"""Pure parts of the kit: tokens and visibility, the masking log processor, the business clock."""

import time
from datetime import datetime

import jwt
import pytest

from tousu.contracts.types import SHANGHAI
from tousu.kit.auth import AuthError, OrgTree, Principal, issue_token, verify_token
from tousu.kit.clock import BusinessClock
from tousu.kit.logging import MASK, mask_personal_data

SECRET = "a-test-secret-that-is-long-enough-for-hs256"


def test_token_round_trip_names_organisation_and_roles() -> None:
    principal = verify_token(SECRET, issue_token(SECRET, "bank-b", ["submitter", "auditor"]))
    assert principal.org == "bank-b"
    assert principal.roles == frozenset({"submitter", "auditor"})
    assert not principal.is_admin


def test_token_signed_with_another_secret_or_expired_is_refused() -> None:
    with pytest.raises(AuthError):
        verify_token(SECRET, issue_token("another-secret-that-is-long-enough-for-hs256", "bank-b", ["submitter"]))
    expired = jwt.encode(
        {"iss": "tousu", "org": "bank-b", "roles": ["admin"], "exp": int(time.time()) - 5}, SECRET, algorithm="HS256"
    )
    with pytest.raises(AuthError):
        verify_token(SECRET, expired)


def test_unknown_role_cannot_be_issued() -> None:
    with pytest.raises(ValueError, match="unknown roles"):
        issue_token(SECRET, "bank-b", ["king"])


def test_org2_hierarchy_visibility_descendants_only_admin_everything() -> None:
    tree = OrgTree({"assoc": None, "bank-a": "assoc", "bank-b": "assoc", "b-outlet": "bank-b"})
    bank_b = Principal("bank-b", frozenset({"handler"}), "bank-b")
    assert tree.sees(bank_b, ["b-outlet"])
    assert tree.sees(bank_b, ["bank-b"])
    assert not tree.sees(bank_b, ["bank-a"])
    assert not tree.sees(bank_b, ["assoc"])
    assert tree.sees(Principal("assoc", frozenset({"supervisor"}), "assoc"), ["b-outlet"])
    assert tree.sees(Principal("platform", frozenset({"admin"}), "op"), ["anything"])


def test_cyclic_parents_do_not_loop() -> None:
    assert OrgTree({"a": "b", "b": "a"}).ancestors("a") == ["a", "b"]


def test_conf_log_processor_masks_personal_data_by_key_and_by_shape() -> None:
    event = {
        "event": "handled 13912345678 for 110101199003071234",
        "complainant": {"name": "张三", "phone": "13912345678"},
        "detail": {"account": "6222020200001234567", "unit": "bank-b"},
        "note": ["card 6222020200001234567"],
    }
    masked = mask_personal_data(None, "info", event)
    text = repr(masked)
    for planted in ("13912345678", "110101199003071234", "6222020200001234567", "张三"):
        assert planted not in text
    assert masked["complainant"] == MASK
    assert masked["detail"]["unit"] == "bank-b"


def test_controlled_clock_moves_both_ways_and_keeps_running() -> None:
    clock = BusinessClock(controlled=True)
    clock.set(datetime(2026, 4, 9, 0, 0, 5, tzinfo=SHANGHAI))
    first = clock.now()
    assert first >= datetime(2026, 4, 9, 0, 0, 5, tzinfo=SHANGHAI)
    assert clock.set(datetime(2026, 1, 1, tzinfo=SHANGHAI))
    assert clock.now() < first
    assert not clock.set(datetime(2027, 1, 1, tzinfo=SHANGHAI), set_at=0.0), "an older setting arriving late loses"


def test_system_clock_refuses_to_be_set() -> None:
    with pytest.raises(RuntimeError):
        BusinessClock().set(datetime(2026, 1, 1, tzinfo=SHANGHAI))
