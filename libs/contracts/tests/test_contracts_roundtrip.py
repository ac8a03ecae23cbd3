"""Every event type travels in a CloudEvents envelope as JSON and comes back equal; instants carry +08:00.

EXAMPLES holds one realistic `data` per type (DOMAIN §10 scenarios); instants are given in UTC on purpose.
"""

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from tousu.contracts.envelope import CloudEvent
from tousu.contracts.events import (
    EVENT_TYPES,
    PRODUCERS,
    ComplaintReceived,
    EventData,
    OrgUpdated,
    SlaBreached,
    SlaExtended,
)
from tousu.contracts.types import SHANGHAI
from tousu.contracts.vocab import Channel, Priority

CID = "0f8e5b0c-7d0a-4b8e-9a51-3a1f2a9c0001"
T0 = "2026-04-03T07:20:00Z"  # 15:20 +08:00
DUE = "2026-04-08T15:59:59Z"  # 23:59:59 +08:00
LIAONING = {"complaint_id": CID, "regime": "liaoning-banking-association"}
CU = {"complaint_id": CID, "regime": "credit-union-province"}
STAGE = {
    **LIAONING,
    "stage": "ASSOC_FORWARD",
    "owner_unit": "lnba-service-dept",
    "clock": "working_days",
    "due_at": DUE,
    "rule": "SLA-01",
}

EXAMPLES: dict[str, dict[str, Any]] = {
    # intake
    "complaint.received": {
        **LIAONING,
        "occurred_at": T0,
        "rule": "INT-50",
        "reference": "LNBA-2026-000001",
        "policy_version": "2026.1",
        "received_at": T0,
        "receiving_unit": "lnba-service-dept",
        "receiver_staff": "emp-17",
        "channel": "phone",
        "kind": "complaint",
        "category": "service_attitude",
        "priority": "ordinary",
        "respondent_unit": "bank-b-shenyang-heping",
        "respondent_staff": ["emp-22"],
        "complainant_ref": "cr_5f0c1e9a",
        "complainant_standing": "direct",
        "flags": {"violation_suspected": False, "media_exposure": False},
        "classification": {"validity": "valid", "scope": "in_scope", "reasons": ["INT-25"]},
        "disputed_amount": {"amount": "50.00", "currency": "CNY"},
        "external_ref": "crm-778812",
    },
    "complaint.reclassified": {
        **LIAONING,
        "occurred_at": T0,
        "rule": "INT-31",
        "reason": "repeated handling, escalation tendency",
        "priority": "major",
        "previous_priority": "urgent",
    },
    "complaint.rejected": {
        "regime": "credit-union-province",
        "occurred_at": T0,
        "rule": "INT-21",
        "reasons": [{"field": "respondent.unit", "message": "no complained outlet or person", "rule": "INT-21"}],
        "reason": "第五条(四)(五) not met",
        "receiving_unit": "cu-county-a",
        "channel": "hotline",
        "stored_as": "feedback",
    },
    "complaint.closed_at_intake": {
        "complaint_id": CID,
        "regime": "futures-company",
        "occurred_at": T0,
        "rule": "LC-04",
        "closed_at": T0,
        "customer_satisfied": True,
        "channel": "phone",
    },
    "complaint.repeat_detected": {
        **CU,
        "occurred_at": "2026-03-04T02:00:00Z",
        "rule": "SAN-36",
        "parent_complaint_id": "0f8e5b0c-7d0a-4b8e-9a51-3a1f2a9c0000",
        "cause": "unreachable",
        "respondent_unit": "cu-county-a-outlet-x",
    },
    "complaint.large_scale_detected": {
        "regime": "cbrc-2012-banking",
        "occurred_at": "2026-11-03T02:00:00Z",
        "rule": "RTE-11",
        "count": 120,
        "window_hours": 48,
        "threshold": 100,
        "group_key": "product:wm-2026-17",
        "mass_incident_risk": True,
    },
    "complaint.withdrawn": {**LIAONING, "occurred_at": T0, "requested_at": T0, "reason": "settled with the bank"},
    "complaint.withdrawal_refused": {
        "complaint_id": CID,
        "regime": "insurer-95511",
        "occurred_at": T0,
        "rule": "LC-10",
        "requested_at": T0,
        "transferred_at": "2026-04-02T02:00:00Z",
    },
    "reconsideration.requested": {
        **CU,
        "occurred_at": "2026-06-16T02:00:00Z",
        "rule": "RCN-02",
        "requested_at": "2026-06-16T02:00:00Z",
        "lodged_with": "cu-city-a",
        "notified_at": "2026-06-02T02:00:00Z",
        "window_closes_at": "2026-06-17T15:59:59Z",
    },
    "reconsideration.rejected_late": {
        **CU,
        "occurred_at": "2026-06-18T02:00:00Z",
        "rule": "RCN-02",
        "requested_at": "2026-06-18T02:00:00Z",
        "window_closed_at": "2026-06-17T15:59:59Z",
    },
    # routing
    "org.updated": {
        "occurred_at": T0,
        "org_id": "bank-b",
        "version": 3,
        "org": {
            "id": "bank-b",
            "name": "Member bank B",
            "kind": "member",
            "parent": "lnba",
            "tenant": "bank-b",
            "regimes": ["liaoning-banking-association", "cbrc-2012-banking"],
            "handlers": [{"id": "emp-31", "role": "A", "available": True}, {"id": "emp-32", "role": "B"}],
            "ingress_users": [{"user": "bank-b-crm", "roles": ["submitter"]}],
        },
    },
    "complaint.assigned": {**LIAONING, "occurred_at": T0, "unit": "lnba-service-dept", "reason": "first_owner"},
    "complaint.forwarded": {
        **LIAONING,
        "occurred_at": "2026-04-08T02:00:00Z",
        "rule": "RTE-01",
        "from_unit": "lnba-service-dept",
        "to_unit": "bank-b-complaints",
        "transfer": True,
        "by": "lnba-service-dept",
        "staff": "emp-17",
        "from_kind": "association",
        "to_kind": "member",
    },
    "complaint.acknowledged": {**LIAONING, "occurred_at": T0, "by": "bank-b-complaints", "handler_role": "B"},
    "complaint.verified": {**LIAONING, "occurred_at": T0, "by": "bank-b-complaints", "valid": True},
    "complaint.approval_decided": {
        "complaint_id": CID,
        "regime": "tobacco-bureau",
        "occurred_at": T0,
        "by": "tobacco-city-deputy",
        "approved": True,
        "kind": "instruction",
    },
    "complaint.joint_investigation_opened": {
        "complaint_id": CID,
        "regime": "futures-company",
        "occurred_at": T0,
        "by": "futures-cs-centre",
        "units": ["futures-ib-dept", "sec-co-docking"],
    },
    "complaint.customer_contact_attempted": {
        **CU,
        "occurred_at": "2026-03-03T02:00:00Z",
        "by": "cu-county-a",
        "reached": False,
        "party": "unit",
        "target_unit": "cu-county-a-outlet-x",
    },
    "complaint.progress_reported": {
        **LIAONING,
        "occurred_at": "2026-04-14T08:00:00Z",
        "rule": "SLA-05",
        "by": "bank-b-shenyang-heping",
        "promised_reply_at": "2026-04-17T09:00:00Z",
        "to_unit": "bank-b-complaints",
        "customer_informed": True,
    },
    "complaint.extension_requested": {
        **CU,
        "occurred_at": "2026-10-08T07:00:00Z",
        "rule": "SLA-14",
        "by": "cu-city-a",
        "reason": "documents from the customer outstanding",
        "until": "2026-10-13T15:59:59Z",
        "explained_to_customer": True,
        "reported_to": "cu-province",
    },
    "complaint.extension_decided": {
        **CU,
        "occurred_at": "2026-10-08T08:00:00Z",
        "by": "cu-province",
        "approved": True,
        "until": "2026-10-13T15:59:59Z",
        "approver": "cu-province",
    },
    "complaint.result_submitted": {
        "complaint_id": CID,
        "regime": "mobile-operator-si",
        "occurred_at": T0,
        "by": "si-alpha",
        "fact_determination": "information fee charged Jul-Sep without subscription",
        "solution": "refund",
        "refund": {"amount": "60.00", "currency": "CNY", "multiple": 2, "method": "account top-up"},
    },
    "complaint.result_rejected": {**LIAONING, "occurred_at": T0, "by": "bank-b-complaints", "reason": "no measure"},
    "complaint.replied": {
        **CU,
        "occurred_at": "2026-06-02T02:00:00Z",
        "by": "cu-county-a",
        "method": "phone",
        "reconsideration_notice": True,
    },
    "complaint.objected": {**CU, "occurred_at": T0, "by": "cu-county-a", "reason": "fee still disputed"},
    "complaint.redispatched": {
        "complaint_id": CID,
        "regime": "mobile-operator-si",
        "occurred_at": T0,
        "by": "hunan-mobile-cs",
        "to_unit": "si-alpha",
        "dispatch_number": 2,
        "reason": "callback dissatisfied",
    },
    "complaint.escalated": {
        **STAGE,
        "reference": "LNBA-2026-000001",
        "occurred_at": "2026-04-08T16:00:00Z",
        "breached_at": "2026-04-08T16:00:00Z",
        "level": 1,
        "target_unit": "lnba",
        "reason": "sla_breached",
    },
    "complaint.closed": {**CU, "occurred_at": T0, "rule": "ARC-08", "archive_class": "客户投诉处理不满意"},
    "callback.required": {**CU, "occurred_at": T0, "rule": "CB-01", "by_unit": "cu-county-a", "sample": True},
    "callback.recorded": {**CU, "occurred_at": T0, "satisfied": False, "by_unit": "cu-county-a-outlet-3"},
    "reconsideration.decided": {**CU, "occurred_at": T0, "rule": "RCN-03", "by": "cu-city-a", "upheld": True},
    "compliance.referred": {
        **CU,
        "occurred_at": T0,
        "rule": "RTE-08",
        "reason": "staff violation",
        "to_unit": "cu-county-a-supervision",
        "source": "classification",
    },
    # sla
    "sla.clock_started": {
        **STAGE,
        "occurred_at": T0,
        "started_at": T0,
        "warning_at": "2026-04-08T04:00:00Z",
        "provisional": False,
        "policy_version": "2026.1",
        "start_event": "complaint.received",
    },
    "sla.warning": {**STAGE, "occurred_at": "2026-04-08T04:00:00Z", "warning_at": "2026-04-08T04:00:00Z"},
    "sla.breached": {**STAGE, "occurred_at": "2026-04-08T16:00:00Z", "breached_at": "2026-04-08T16:00:00Z"},
    "sla.breach_withdrawn": {
        **STAGE,
        "occurred_at": "2026-04-08T16:00:05Z",
        "breached_at": "2026-04-08T16:00:00Z",
        "stopped_at": "2026-04-08T02:00:00Z",
    },
    "sla.met": {**STAGE, "occurred_at": "2026-04-08T02:00:00Z", "stopped_at": "2026-04-08T02:00:00Z"},
    "sla.extended": {
        **STAGE,
        "due_at": "2026-10-13T15:59:59Z",
        "occurred_at": "2026-10-08T08:00:00Z",
        "previous_due_at": "2026-10-08T15:59:59Z",
        "new_due_at": "2026-10-13T15:59:59Z",
        "approver": "cu-province",
        "reason": "extension approved",
    },
    "sla.paused": {**STAGE, "occurred_at": T0, "at": T0, "reason": "waiting for documents"},
    "sla.resumed": {**STAGE, "occurred_at": T0, "at": T0},
    "sla.clock_stopped": {**STAGE, "occurred_at": T0, "stopped_at": T0, "reason": "withdrawn"},
    "sla.rescheduled": {
        **STAGE,
        "occurred_at": T0,
        "previous_due_at": "2026-04-07T15:59:59Z",
        "provisional": False,
        "reason": "calendar_loaded",
        "year": 2026,
    },
    # sanctions
    "responsibility.determined": {
        **CU,
        "occurred_at": T0,
        "rule": "SAN-31",
        "determination_id": "det-1",
        "responsible": True,
        "clause": "第十九条(四)",
        "type": "negligence",
        "persons": ["emp-li"],
        "disputed_fee_borne": {"amount": "50.00"},
    },
    "responsibility.appealed": {
        **CU,
        "occurred_at": T0,
        "rule": "RCN-04",
        "determination_id": "det-1",
        "appellant": "emp-li",
        "to_body": "cu-city-a-responsibility-group",
    },
    "sanction.imposed": {
        **LIAONING,
        "occurred_at": "2026-05-20T02:00:00Z",
        "rule": "SAN-01(3)",
        "sanction_id": "san-1",
        "kind": "interview",
        "target_org": "bank-b",
        "issuer": "lnba-leader",
        "evidence": {"complaint_ids": [CID], "figures": {"same_problem_complaints": 2, "threshold": 2}},
        "reason": "same problem repeated without rectification",
        "requirement": "rectification",
        "step": 1,
    },
    "sanction.fulfilled": {"occurred_at": "2026-05-28T02:00:00Z", "sanction_id": "san-1", "kind": "interview"},
    "sanction.lifted": {"occurred_at": T0, "sanction_id": "san-2", "reason": "SI compliant again"},
    "reward.recommended": {
        **CU,
        "occurred_at": T0,
        "rule": "SAN-38",
        "kind": "praise",
        "reason": "stayed calm",
        "persons": ["emp-zhao"],
    },
    "kpi.evaluated": {
        "regime": "credit-union-province",
        "occurred_at": "2026-06-30T16:00:00Z",
        "rule": "CB-01",
        "org": "cu-county-a",
        "period": "2026-06",
        "metric": "superior_callback_ratio",
        "value": 28.6,
        "threshold": 30,
        "compliant": False,
        "unit": "percent",
        "inputs": {"done": 2, "closed": 7},
    },
    "points.recorded": {
        "regime": "bank-call-centre-csr",
        "occurred_at": "2026-08-20T14:00:00Z",
        "rule": "SAN-87",
        "person": "csr-1088",
        "org": "bank-x-call-centre",
        "period": "2026-Q3",
        "points": -10,
        "reason": "asleep on night shift",
        "kind": "deduction",
        "award_ineligible": True,
    },
    # reporting
    "report.due": {
        "regime": "cbrc-2012-banking",
        "occurred_at": "2026-06-30T16:00:00Z",
        "rule": "RPT-04",
        "kind": "regulator-semiannual",
        "period": "2026-H1",
        "org": "bank-b",
        "due_at": "2026-07-30T15:59:59Z",
        "recipients": ["cbrc-liaoning"],
    },
    "report.generated": {
        "occurred_at": T0,
        "kind": "regulator-semiannual",
        "period": "2026-H1",
        "org": "bank-b",
        "formats": ["json", "csv"],
    },
    "report.submitted": {
        "occurred_at": T0,
        "kind": "regulator-semiannual",
        "period": "2026-H1",
        "org": "bank-b",
        "submitted_at": T0,
        "to": "cbrc-liaoning",
    },
    "report.overdue": {
        "occurred_at": "2026-07-30T16:00:00Z",
        "kind": "regulator-semiannual",
        "period": "2026-H1",
        "org": "bank-b",
        "due_at": "2026-07-30T15:59:59Z",
    },
    "regulator.report_required": {
        "regime": "cbrc-2012-banking",
        "occurred_at": "2026-11-03T02:00:01Z",
        "rule": "RPT-07",
        "reason": "large-scale complaints",
        "due_at": "2026-11-03T15:59:59Z",
        "to": "cbrc-liaoning",
        "source_event": "6c1b3c5e-5c2d-4a11-8f0e-7b0f1a2b3c4d",
        "source_type": "complaint.large_scale_detected",
        "urgency": "prompt",
    },
    "complaint.archived": {**CU, "occurred_at": T0, "archive_class": "客户投诉处理不满意"},
}

INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$")


def instants(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if INSTANT.match(value) else []
    if isinstance(value, dict):
        return [s for v in value.values() for s in instants(v)]
    if isinstance(value, list):
        return [s for v in value for s in instants(v)]
    return []


def test_there_is_an_example_for_every_type() -> None:
    assert set(EXAMPLES) == set(EVENT_TYPES)


def envelope(event_type: str, data: EventData) -> CloudEvent:
    producer = PRODUCERS[event_type]
    return CloudEvent(
        source=f"tousu/{producer}",
        type=event_type,
        subject=data.complaint_id,
        time=data.occurred_at,
        correlationid=data.complaint_id,
        tenant="bank-b",
        data=data.model_dump(mode="json"),
    )


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_round_trip_through_the_envelope(event_type: str) -> None:
    model = EVENT_TYPES[event_type]
    data = model.model_validate(EXAMPLES[event_type])
    sent = envelope(event_type, data)
    wire = sent.model_dump_json()

    received = CloudEvent.model_validate_json(wire)
    assert received == sent
    assert received.routing_key == f"{event_type}.bank-b"
    assert model.model_validate(received.data) == data
    assert received.model_dump_json() == wire

    found = instants(received.model_dump(mode="json"))
    assert found, "every event has at least occurred_at and time"
    assert all(s.endswith("+08:00") for s in found), found
    assert received.occurred_at == data.occurred_at
    assert received.occurred_at.utcoffset() == SHANGHAI.utcoffset(None)


def test_complaint_received_keeps_types_and_decimal_amounts() -> None:
    data = ComplaintReceived.model_validate(EXAMPLES["complaint.received"])
    assert data.channel is Channel.PHONE
    assert data.priority is Priority.ORDINARY
    assert data.disputed_amount is not None
    assert data.disputed_amount.amount == Decimal("50.00")
    dumped = data.model_dump(mode="json")
    assert dumped["disputed_amount"] == {"amount": "50.00", "currency": "CNY"}
    assert dumped["received_at"] == "2026-04-03T15:20:00+08:00"
    assert dumped["classification"]["major"] is False


def test_breach_of_a_day_count_is_stamped_at_midnight_shanghai() -> None:
    data = SlaBreached.model_validate({**STAGE, "occurred_at": T0, "breached_at": "2026-04-09T00:00:00+08:00"})
    assert data.model_dump(mode="json")["due_at"] == "2026-04-08T23:59:59+08:00"
    assert data.model_dump(mode="json")["breached_at"] == "2026-04-09T00:00:00+08:00"


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValidationError):
        SlaBreached.model_validate({**STAGE, "occurred_at": "2026-04-09T00:00:00", "breached_at": T0})


def test_unknown_vocabulary_is_refused_but_unknown_fields_are_kept() -> None:
    with pytest.raises(ValidationError):
        ComplaintReceived.model_validate({**EXAMPLES["complaint.received"], "channel": "pigeon"})
    later = ComplaintReceived.model_validate({**EXAMPLES["complaint.received"], "added_later": 1})
    assert later.model_dump(mode="json")["added_later"] == 1


def test_sla_extended_due_at_follows_new_due_at() -> None:
    example = {k: v for k, v in EXAMPLES["sla.extended"].items() if k != "due_at"}
    data = SlaExtended.model_validate(example)
    assert data.due_at == data.new_due_at
    with pytest.raises(ValidationError, match="due_at must equal new_due_at"):
        SlaExtended.model_validate({**example, "due_at": "2026-10-20T15:59:59Z"})


def test_org_updated_never_carries_handler_names() -> None:
    example = EXAMPLES["org.updated"]
    org = {**example["org"], "handlers": [{"id": "emp-31", "name": "Zhang San", "role": "A"}], "secret": "x"}
    data = OrgUpdated.model_validate({**example, "org": org})
    dumped = data.model_dump(mode="json")
    assert "Zhang San" not in str(dumped)
    assert "secret" not in dumped["org"]
    assert dumped["org"]["handlers"] == [{"id": "emp-31", "role": "A", "available": True}]


def test_time_of_the_envelope_is_shanghai() -> None:
    event = envelope(
        "complaint.assigned", EVENT_TYPES["complaint.assigned"].model_validate(EXAMPLES["complaint.assigned"])
    )
    assert event.time == datetime.fromisoformat("2026-04-03T15:20:00+08:00")
    assert event.model_dump(mode="json")["time"] == "2026-04-03T15:20:00+08:00"
