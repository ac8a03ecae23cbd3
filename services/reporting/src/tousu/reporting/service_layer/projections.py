"""Read models kept from the event history: complaints, sanctions, the organisation replica.

Each row is a fold of every stored event it concerns, recomputed when one of them arrives (complaints in batches by
the projector, which folds a complaint once however many of its events came): idempotent, indifferent to delivery
order, and what a rebuild from the `events` table gives again.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, insert

from tousu.contracts.envelope import CloudEvent
from tousu.kit.uow import UnitOfWork
from tousu.reporting.adapters import tables as t
from tousu.reporting.domain.complaint import UNIT_FIELDS, ComplaintView, Fact, fold

SANCTION_TYPES = ("sanction.imposed", "sanction.fulfilled", "sanction.lifted")

_COLUMNS = [c.name for c in t.complaints.columns]
UPSERT_COMPLAINTS = sa.text(
    f"""INSERT INTO {t.complaints.name} ({", ".join(f'"{n}"' for n in _COLUMNS)})
    SELECT {", ".join(f'r."{n}"' for n in _COLUMNS)}
    FROM jsonb_populate_recordset(NULL::{t.complaints.name}, :rows) AS r
    ON CONFLICT (complaint_id) DO UPDATE SET {", ".join(f'"{n}" = excluded."{n}"' for n in _COLUMNS[1:])}"""
).bindparams(sa.bindparam("rows", type_=JSONB))
"""Write a batch of `_complaint_row`s (JSON) in one statement of one shape whatever the batch's size, so the
tallies' statement triggers fire once per batch."""


CLAIM = (
    sa.delete(t.dirty)
    .where(
        t.dirty.c.complaint_id.in_(
            sa.select(t.dirty.c.complaint_id)
            .limit(sa.bindparam("limit"))
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
    )
    .returning(t.dirty.c.complaint_id)
)
EVENTS_OF = sa.select(t.events.c.envelope, t.events.c.occurred_at, t.events.c.tenant, t.events.c.complaint_id).where(
    t.events.c.complaint_id == sa.any_(sa.bindparam("ids", type_=ARRAY(sa.Text)))
)


def _fact(envelope: dict[str, Any], occurred_at: datetime) -> Fact:
    return Fact(id=str(envelope["id"]), type=str(envelope["type"]), occurred_at=occurred_at, data=envelope["data"])


def _complaint_row(view: ComplaintView) -> dict[str, Any]:
    """The `complaints` row of a view, JSON-compatible (`received_at` is the view's ISO instant)."""
    return {
        "complaint_id": view.complaint_id,
        "tenant": view.tenant,
        "regime": view.regime,
        "status": view.status,
        "received_at": view.received_at,
        "units": view.units,
        "view": view.to_json(),
        "respondent_unit": view.respondent_unit,
        "category": view.category,
        "channel": view.channel,
        "kind": view.kind,
        "breached": view.breached,
        "timely": view.timely,
        "handling_hours": view.handling_hours,
        "satisfied": view.satisfied,
        "repeat": view.repeat,
        "escalations": len(view.escalations),
        "responsible": view.responsible,
        "clock_states": [{"stage": c.stage, "state": "running" if c.open else c.state} for c in view.clocks],
        "closed_at_intake": view.closed_at_intake,
        "first_time": view.first_time_completion,
        "callbacks": view.callbacks,
        "sample_callbacks": view.sample_callbacks,
        "reconsideration": view.reconsideration_requested,
        "measures": bool(view.rectification_measures),
        "second": view.second,
        "major": view.major,
        "important": view.important,
    }


async def project_dirty(uow: UnitOfWork, limit: int = 500) -> list[ComplaintView]:
    """Fold a batch of complaints with new events, one fold each however many events came. A complaint marked
    again while this runs waits for its row here, so its next fold sees every committed event."""
    claimed = (await uow.session.execute(CLAIM, {"limit": limit})).scalars().all()
    if not claimed:
        return []
    facts: dict[str, list[Fact]] = defaultdict(list)
    tenants: dict[str, list[Any]] = defaultdict(list)
    rows = await uow.session.execute(EVENTS_OF, {"ids": claimed})
    for r in rows:
        facts[r.complaint_id].append(_fact(r.envelope, r.occurred_at))
        tenants[r.complaint_id].append(r)
    views = [fold(cid, facts[cid], _complaint_tenant(tenants[cid])) for cid in claimed if facts[cid]]
    if views:
        await uow.session.execute(UPSERT_COMPLAINTS, {"rows": [_complaint_row(view) for view in views]})
    return views


def _complaint_tenant(rows: Iterable[Any]) -> str | None:
    """The tenant of the complaint's own events (intake's, routing's); reporting's archive carries the same."""
    tenants = sorted({r.tenant for r in rows})
    return tenants[0] if tenants else None


def fold_sanction(sanction_id: str, facts: Iterable[Fact]) -> dict[str, Any]:
    """active until fulfilled or lifted; the imposition's data whatever order the three came in."""
    data: dict[str, Any] = {"sanction_id": sanction_id}
    state, imposed_at = "active", None
    for fact in sorted(facts, key=lambda f: f.order):
        if fact.type == "sanction.imposed":
            data = {**fact.data, "sanction_id": sanction_id}
            imposed_at = fact.occurred_at
        elif fact.type == "sanction.lifted":
            state = "lifted"
        elif fact.type == "sanction.fulfilled" and state != "lifted":
            state = "fulfilled"
    return {
        "sanction_id": sanction_id,
        "kind": data.get("kind"),
        "target_org": data.get("target_org"),
        "imposed_at": imposed_at,
        "state": state,
        "data": data,
    }


async def refold_sanction(uow: UnitOfWork, sanction_id: str) -> None:
    await uow.session.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext(f"sanction:{sanction_id}"))))
    rows = (
        await uow.session.execute(
            sa.select(t.events.c.envelope, t.events.c.occurred_at).where(
                t.events.c.type.in_(SANCTION_TYPES), t.events.c.envelope["data"]["sanction_id"].astext == sanction_id
            )
        )
    ).all()
    row = fold_sanction(sanction_id, [_fact(r.envelope, r.occurred_at) for r in rows])
    stmt = insert(t.sanctions).values(**row)
    await uow.session.execute(
        stmt.on_conflict_do_update(
            index_elements=[t.sanctions.c.sanction_id], set_={k: stmt.excluded[k] for k in row if k != "sanction_id"}
        )
    )


async def apply_org(uow: UnitOfWork, data: dict[str, Any], occurred_at: datetime) -> None:
    """The newest version wins whatever the order; `first_seen` is the earliest business time heard of."""
    org = data["org"]
    values = {
        "id": org["id"],
        "parent": org.get("parent"),
        "version": int(data.get("version", 0)),
        "tenant": org.get("tenant"),
        "kind": org.get("kind"),
        "name": org.get("name"),
        "regimes": list(org.get("regimes") or []),
        "first_seen": occurred_at,
    }
    stmt = insert(t.orgs).values(**values)
    newer = t.orgs.c.version <= stmt.excluded.version
    fields = ("parent", "version", "tenant", "kind", "name", "regimes")
    set_: dict[str, Any] = {f: sa.case((newer, stmt.excluded[f]), else_=t.orgs.c[f]) for f in fields}
    set_["first_seen"] = sa.func.least(t.orgs.c.first_seen, stmt.excluded.first_seen)
    await uow.session.execute(stmt.on_conflict_do_update(index_elements=[t.orgs.c.id], set_=set_))


async def project(uow: UnitOfWork, event: CloudEvent) -> None:
    """The sanctions and the organisations, folded as their events arrive; a complaint's event was marked for
    the projector as it was stored (`history.store`)."""
    if event.type in SANCTION_TYPES and event.data.get("sanction_id"):
        await refold_sanction(uow, str(event.data["sanction_id"]))
    if event.type == "org.updated":
        await apply_org(uow, event.data, event.occurred_at)


async def rebuild(uow: UnitOfWork) -> dict[str, int]:
    """Drop every read model and fold it again from the history, in one transaction (readers see the old rows
    until it commits; consumers wait for it). The tallies follow the complaints (their triggers); emptied here
    too, so no key of a complaint gone stays behind at zero."""
    s = uow.session
    await s.execute(
        sa.text("LOCK TABLE complaints, tallies, stage_tallies, sanctions, orgs, complaint_units IN EXCLUSIVE MODE")
    )
    for table in (t.complaints, t.tallies, t.stage_tallies, t.sanctions, t.orgs, t.complaint_units):
        await s.execute(sa.delete(table))
    by_complaint: dict[str, list[Fact]] = defaultdict(list)
    tenants: dict[str, list[Any]] = defaultdict(list)
    by_sanction: dict[str, list[Fact]] = defaultdict(list)
    units: set[tuple[str, str]] = set()
    result = await s.stream(
        sa.select(t.events.c.envelope, t.events.c.occurred_at, t.events.c.tenant, t.events.c.complaint_id).order_by(
            t.events.c.seq
        )
    )
    orgs = 0
    async for r in result:
        fact = _fact(r.envelope, r.occurred_at)
        if r.complaint_id:
            by_complaint[r.complaint_id].append(fact)
            tenants[r.complaint_id].append(r)
            units.update((r.complaint_id, str(fact.data[f])) for f in UNIT_FIELDS if fact.data.get(f))
        if fact.type in SANCTION_TYPES and fact.data.get("sanction_id"):
            by_sanction[str(fact.data["sanction_id"])].append(fact)
        if fact.type == "org.updated":
            await apply_org(uow, dict(fact.data), r.occurred_at)
            orgs += 1
    rows = [_complaint_row(fold(cid, facts, _complaint_tenant(tenants[cid]))) for cid, facts in by_complaint.items()]
    for start in range(0, len(rows), 500):
        await s.execute(UPSERT_COMPLAINTS, {"rows": rows[start : start + 500]})
    unit_rows = [{"complaint_id": c, "unit": u} for c, u in sorted(units)]
    for start in range(0, len(unit_rows), 1000):
        await s.execute(sa.insert(t.complaint_units), unit_rows[start : start + 1000])
    sanction_rows = [fold_sanction(sid, facts) for sid, facts in by_sanction.items()]
    if sanction_rows:
        await s.execute(sa.insert(t.sanctions), sanction_rows)
    return {"complaints": len(rows), "sanctions": len(sanction_rows), "org_events": orgs}
