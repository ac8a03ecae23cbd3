"""What a unit of work reads once: the policies, the organisation replica, loaded calendar years and
organisation calendars, and from them the calendar each clock counts on."""

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from tousu.contracts.envelope import CloudEvent
from tousu.contracts.policy import Policy, Stage
from tousu.kit.calendar import WorkingCalendar, YearCalendar
from tousu.kit.errors import FieldError, PermanentError
from tousu.kit.uow import UnitOfWork
from tousu.sla.adapters import tables as t
from tousu.sla.domain.calendars import OrgCalendar, build_calendar

ENDS_EVERYTHING = frozenset({"complaint.withdrawn", "complaint.closed_at_intake", "complaint.closed"})
"""ARCHITECTURE §1: a complaint withdrawn or closed is closed everywhere; its open clocks stop."""
EXTENSION_ACTS = frozenset({"complaint.extension_requested", "complaint.progress_reported"})


@dataclass(frozen=True)
class Fact:
    """An event about a complaint, as sla keeps it."""

    id: uuid.UUID
    type: str
    complaint_id: str
    data: dict[str, Any]
    occurred_at: datetime

    @classmethod
    def of(cls, event: CloudEvent) -> "Fact":
        assert event.complaint_id is not None
        data = {**event.data, "occurred_at": event.data.get("occurred_at") or event.time.isoformat()}
        return cls(event.id, event.type, event.complaint_id, data, event.occurred_at)


@dataclass
class Policies:
    """Regime → version → policy; a complaint keeps the version it was received under."""

    history: dict[str, dict[str, Policy]]

    def get(self, regime: str, version: str) -> Policy:
        versions = self.history.get(regime)
        if not versions:
            raise PermanentError("unknown regime", [FieldError("regime", f"no policy {regime!r}", "CONTRACT §2")])
        return versions.get(version) or next(iter(versions.values()))

    def stage(self, regime: str, version: str, stage_id: str) -> Stage:
        return self.get(regime, version).stage(stage_id)

    def event_types(self) -> set[str]:
        types = {"complaint.received", "complaint.reclassified", "org.updated", *ENDS_EVERYTHING, *EXTENSION_ACTS}
        for versions in self.history.values():
            for policy in versions.values():
                for stage in policy.stages:
                    types.update(trigger.event for trigger in stage.triggers())
        return types


@dataclass
class World:
    policies: Policies
    parents: dict[str, str | None]
    kinds: dict[str, str]
    years: list[YearCalendar]
    org_calendars: dict[str, OrgCalendar]
    _calendars: dict[tuple[str | None, str, str], WorkingCalendar] = field(default_factory=dict)

    def chain(self, unit: str | None) -> list[str]:
        """The unit and its ancestors, root first."""
        units: list[str] = []
        while unit is not None and unit not in units:
            units.append(unit)
            unit = self.parents.get(unit)
        return units[::-1]

    def within(self, unit: str, ancestor: str) -> bool:
        return ancestor in self.chain(unit)

    def calendar(self, unit: str | None, policy: Policy) -> WorkingCalendar:
        """The calendar a clock owned by `unit` counts on under `policy` (cached for this unit of work)."""
        key = (unit, policy.id, policy.version)
        cached = self._calendars.get(key)
        if cached is None:
            chain = [self.org_calendars[u] for u in self.chain(unit) if u in self.org_calendars]
            cached = self._calendars[key] = build_calendar(self.years, chain, policy.calendar)
        return cached

    def plain_calendar(self) -> WorkingCalendar:
        """Loaded years and the package only (the `GET /v1/calendars/{year}` view)."""
        return WorkingCalendar(self.years)


_CHECKED = "tousu.sla.world_checked"
"""Session info key: the transaction in which this process last found its world current."""


async def changed_world(uow: UnitOfWork) -> None:
    """Record that the organisation replica or a calendar changed (in the same transaction as the change)."""
    stmt = insert(t.world_version).values(id=1, version=1)
    await uow.session.execute(
        stmt.on_conflict_do_update(
            index_elements=[t.world_version.c.id], set_={"version": t.world_version.c.version + 1}
        )
    )
    uow.session.info.pop(_CHECKED, None)


class WorldCache:
    """The world as last loaded by this process, reloaded when its version moved (any replica's change).

    The version is read once per transaction (a consumer's batch): a change committed meanwhile is seen by the
    next batch, as if the batch had run a moment earlier; one made in this transaction is seen at once."""

    def __init__(self, policies: Policies) -> None:
        self.policies = policies
        self._version: int | None = None
        self._world: World | None = None

    async def get(self, uow: UnitOfWork) -> World:
        transaction = uow.session.sync_session.get_transaction()
        if self._world is not None and transaction is not None and uow.session.info.get(_CHECKED) is transaction:
            return self._world
        version = (await uow.session.execute(sa.select(t.world_version.c.version))).scalar() or 0
        if self._world is None or version != self._version:
            self._world, self._version = await load_world(uow, self.policies), version
        uow.session.info[_CHECKED] = transaction
        return self._world


async def load_world(uow: UnitOfWork, policies: Policies) -> World:
    orgs = (await uow.session.execute(sa.select(t.orgs.c.id, t.orgs.c.parent, t.orgs.c.kind))).all()
    years = (await uow.session.execute(sa.select(t.calendar_years))).all()
    overrides = (await uow.session.execute(sa.select(t.org_calendars))).all()
    return World(
        policies=policies,
        parents={o.id: o.parent for o in orgs},
        kinds={o.id: o.kind for o in orgs},
        years=[year_of(r) for r in years],
        org_calendars={r.org_id: org_calendar_of(r) for r in overrides},
    )


def year_of(row: Any) -> YearCalendar:
    return YearCalendar(
        year=row.year,
        holidays=frozenset(date.fromisoformat(d) for d in row.holidays),
        working_days=frozenset(date.fromisoformat(d) for d in row.working_days),
        source=row.source,
    )


def org_calendar_of(row: Any) -> OrgCalendar:
    return OrgCalendar.from_dict(
        row.org_id,
        {
            "holidays": row.holidays,
            "working_days": row.working_days,
            "business_hours": row.business_hours,
            "source": row.source,
        },
    )
