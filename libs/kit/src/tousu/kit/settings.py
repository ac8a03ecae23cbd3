"""Service settings: environment variables only (ARCHITECTURE §8)."""

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_PORTS = {"intake": 8001, "routing": 8002, "sla": 8003, "sanctions": 8004, "reporting": 8005}
DEV_TOKEN_SECRET = "tousu-dev-secret-change-me-in-production"


class ServiceSettings(BaseSettings):
    """What every service reads. A service may subclass it for its own variables."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    service: str = Field(default="", alias="TOUSU_SERVICE")
    rabbitmq_url: str = Field(default="amqp://guest:guest@127.0.0.1:5672/", alias="RABBITMQ_URL")
    database_url: str = Field(default="", alias="DATABASE_URL")
    host: str = Field(default="127.0.0.1", alias="HOST")
    port: int = Field(default=0, alias="PORT")
    clock: Literal["system", "controlled"] = Field(default="system", alias="TOUSU_CLOCK")
    token_secret: str = Field(default=DEV_TOKEN_SECRET, alias="TOUSU_TOKEN_SECRET", min_length=32)
    policies_dir: Path | None = Field(default=None, alias="TOUSU_POLICIES_DIR")
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")
    log_format: Literal["json", "console"] = Field(default="json", alias="LOG_FORMAT")
    prefetch: int = Field(default=100, alias="TOUSU_PREFETCH", ge=1, le=1000)
    batch_size: int = Field(default=50, alias="TOUSU_BATCH_SIZE", ge=1, le=1000)
    outbox_poll_s: float = Field(default=1.0, alias="TOUSU_OUTBOX_POLL_S", gt=0)
    max_attempts: int = Field(default=5, alias="TOUSU_MAX_ATTEMPTS", ge=1)
    graceful_timeout_s: float = Field(default=15.0, alias="TOUSU_GRACEFUL_TIMEOUT_S", gt=0)

    def database_for(self, service: str) -> str:
        """This service's database: DATABASE_URL as given, or the local default `tousu_<service>`."""
        return self.database_url or f"postgresql+asyncpg://postgres@127.0.0.1:5432/tousu_{service}"

    def port_for(self, service: str) -> int:
        return self.port or DEFAULT_PORTS[service]
