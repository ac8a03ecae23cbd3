"""sla's own settings (environment only)."""

from pathlib import Path

from pydantic import Field

from tousu.kit.settings import ServiceSettings


class SlaSettings(ServiceSettings):
    calendars_file: Path | None = Field(
        default=None,
        alias="TOUSU_SLA_CALENDARS",
        description="a YAML file of calendar years and organisation calendars, loaded at start where it differs "
        "from what is stored (e.g. next year's schedule, published before the chinese-calendar package has it)",
    )
