"""Closed vocabularies of the public interface (CONTRACT §4-§7) and the small value types events share.

Intake's HTTP models and the event models use the same enums, so a value valid at the door is valid on the bus.
A vocabulary may grow (a new value is a compatible change); a value is never removed or renamed.
Open vocabularies (categories, sanction kinds, organisation kinds, report kinds) are plain strings: policies add
to them without a code change.
"""

from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Channel(StrEnum):
    """How a complaint came in (CONTRACT §4 `channel`)."""

    PHONE = "phone"
    HOTLINE = "hotline"
    LETTER = "letter"
    FAX = "fax"
    EMAIL = "email"
    WEB = "web"
    WALK_IN = "walk_in"
    SUGGESTION_BOX = "suggestion_box"
    SMS = "sms"
    SOCIAL_MEDIA = "social_media"
    ON_SITE = "on_site"
    REGULATOR_REFERRAL = "regulator_referral"
    GOVERNMENT_REFERRAL = "government_referral"


class ComplaintKind(StrEnum):
    """The contact type (CONTRACT §4 `kind`)."""

    COMPLAINT = "complaint"
    CONSULTATION = "consultation"
    SUGGESTION = "suggestion"
    REPORT = "report"
    """舉報: with `confidential` the informant's identity is never revealed."""
    DISSATISFACTION = "dissatisfaction"
    """不滿工單."""
    DEFUSED = "defused"
    """化解件."""
    FAULT_REPORT = "fault_report"
    TECHNICAL_SUPPORT = "technical_support"
    RECONSIDERATION = "reconsideration"


class Priority(StrEnum):
    """CONTRACT §4 `priority`; left out of a submission, the regime's rules classify it."""

    ORDINARY = "ordinary"
    URGENT = "urgent"
    DIFFICULT = "difficult"
    MAJOR = "major"


class Standing(StrEnum):
    """The complainant's standing (INT-21(3)): the party itself or its authorised agent (委托人)."""

    DIRECT = "direct"
    AGENT = "agent"


class FaultSeverity(StrEnum):
    """Fault reports (INT-33): general, important, severe."""

    GENERAL = "general"
    IMPORTANT = "important"
    SEVERE = "severe"


class Validity(StrEnum):
    """Valid (有效投诉) vs communicative (沟通性投诉) complaint (INT-25, INT-42)."""

    VALID = "valid"
    COMMUNICATIVE = "communicative"


class Scope(StrEnum):
    """In the complaint process, or recorded and referred elsewhere (a staff violation: compliance, INT-22)."""

    IN_SCOPE = "in_scope"
    REFERRED = "referred"


class HandlerRole(StrEnum):
    """A/B backup handler roles (ORG-04)."""

    A = "A"
    B = "B"


class ReplyMethod(StrEnum):
    """How the customer was answered (CONTRACT §5 `reply_customer`)."""

    PHONE = "phone"
    WRITTEN = "written"
    VISIT = "visit"


class ResponsibilityType(StrEnum):
    """Responsibility types of a determination (CONTRACT §7, SAN-43…45)."""

    SERVICE_ATTITUDE = "service_attitude"
    NEGLIGENCE = "negligence"
    DERELICTION = "dereliction"


class RepeatCause(StrEnum):
    """Why a complaint repeats an earlier one (DOMAIN §7, INT-30, SAN-36)."""

    NO_TIMELY_REPLY = "no_timely_reply"
    DISSATISFIED = "dissatisfied"
    UNREACHABLE = "unreachable"
    OTHER = "other"


SANCTION_KINDS = (
    "interview",
    "public_criticism",
    "circular",
    "award_ineligible",
    "rectification_order",
    "rectification_opinion",
    "settlement_deduction",
    "settlement_suspended",
    "service_suspended",
    "cooperation_terminated",
    "penalty_points",
    "accountability_case",
    "economic_penalty",
    "disciplinary_sanction",
    "offpost_training",
    "dismissal",
)
"""Known `sanction.imposed` kinds (ARCHITECTURE §1). Open: a regime's policy may name others."""


class Part(BaseModel):
    """Base of the nested objects of event payloads: immutable, tolerant of fields added later."""

    model_config = ConfigDict(frozen=True, extra="allow", use_attribute_docstrings=True)


class Money(Part):
    """An amount of money; `amount` is a decimal carried as a JSON string ("50.00"), never a float."""

    amount: Decimal = Field(ge=0)
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
