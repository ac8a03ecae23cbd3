"""What intake's use cases share: the policies in force, the personal-data vault and a few settings."""

from dataclasses import dataclass, field
from datetime import timedelta

from tousu.contracts.policy import Policy
from tousu.intake.adapters.crypto import PersonalDataVault
from tousu.kit.calendar import WorkingCalendar


@dataclass(frozen=True)
class IntakeContext:
    policies: dict[str, Policy]
    vault: PersonalDataVault
    keep_keys: timedelta
    """How long an Idempotency-Key answers with its first outcome (system time, not business time)."""
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar)
    """For windows counted in working days, or calendar days postponed past holidays (RCN-02)."""
