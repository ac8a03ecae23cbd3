"""What of a refused bus submission may sit in the parking queue (ARCHITECTURE §7, CONF-04)."""

import orjson

from tousu.intake.entrypoints.ingress import REDACTED, redact_submission


def test_conf04_a_parked_submission_keeps_its_shape_but_no_personal_data_or_free_text() -> None:
    body = {
        "regime": "futures-company",
        "channel": "sms",
        "receiving_unit": "fut-hq",
        "complainant": {"name": "孙八", "phone": "13411112222", "standing": "direct", "nickname": "小孙"},
        "respondent": {"unit": "fut-hq", "staff": ["emp-9"]},
        "facts": "孙八 called from 13411112222",
        "flags": {"litigation": True, "note": "孙八"},
        "external_ref": "13411112222",
        "customer_name": "孙八",
    }
    parked = redact_submission(orjson.dumps(body))
    text = parked.decode()
    assert "孙八" not in text
    assert "13411112222" not in text
    assert "小孙" not in text
    kept = orjson.loads(parked)
    assert kept["channel"] == "sms"
    assert kept["regime"] == "futures-company"
    assert kept["complainant"] == {"name": REDACTED, "phone": REDACTED, "standing": "direct", "nickname": REDACTED}
    assert kept["respondent"] == {"unit": "fut-hq", "staff": REDACTED}
    assert kept["flags"] == {"litigation": True, "note": REDACTED}
    assert kept["facts"] == kept["external_ref"] == kept["customer_name"] == REDACTED


def test_conf04_a_body_that_is_not_a_json_object_is_not_kept() -> None:
    assert b"13411112222" not in redact_submission(b"name=13411112222")
    assert b"13411112222" not in redact_submission(b'["13411112222"]')
