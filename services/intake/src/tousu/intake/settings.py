"""Intake's own settings (environment only)."""

from pydantic import Field

from tousu.intake.adapters.crypto import DEV_KEY
from tousu.kit.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    pii_keys: str = Field(
        default=f"dev:{DEV_KEY}",
        alias="TOUSU_PII_KEYS",
        description="comma-separated key-id:base64(32 bytes); the first encrypts, all decrypt (rotation)",
    )
    pii_hash_key: str = Field(default="tousu-dev-complainant-hash-key", alias="TOUSU_PII_HASH_KEY", min_length=16)
    idempotency_days: int = Field(default=7, alias="TOUSU_IDEMPOTENCY_DAYS", ge=1)

    def key_ring(self) -> dict[str, str]:
        ring: dict[str, str] = {}
        for item in self.pii_keys.split(","):
            kid, _, key = item.strip().partition(":")
            ring[kid] = key
        return ring
