"""What intake's use cases share: the policies in force, the personal-data vault and a few settings."""

from dataclasses import dataclass, field
from datetime import timedelta

from tousu.contracts.policy import Policy
from tousu.intake.adapters.crypto import PersonalDataVault
from tousu.intake.adapters.inbound import Inbound
from tousu.kit.calendar import WorkingCalendar


@dataclass(frozen=True)
class IntakeContext:
    policies: dict[str, Policy]
    """The versions in force, by regime: new complaints are received under them."""
    history: dict[str, dict[str, Policy]]
    """Regime → version → policy: a complaint keeps the version it was received under (ARCHITECTURE §6)."""
    vault: PersonalDataVault
    inbound: Inbound
    """Lets a decision on other services' facts wait until intake has applied what was published before it."""
    keep_keys: timedelta
    """How long an Idempotency-Key answers with its first outcome (system time, not business time)."""
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar)
    """For windows counted in working days, or calendar days postponed past holidays (RCN-02)."""

    def policy_of(self, regime: str, version: str) -> Policy:
        return self.history.get(regime, {}).get(version) or self.policies[regime]
