"""What intake's entrypoints share: the policies in force and the personal-data vault."""

from dataclasses import dataclass
from datetime import timedelta

from tousu.contracts.policy import Policy
from tousu.intake.adapters.crypto import PersonalDataVault


@dataclass(frozen=True)
class IntakeContext:
    policies: dict[str, Policy]
    vault: PersonalDataVault
    keep_keys: timedelta
