"""Keep every event (the history the read models are rebuilt from) and the units each complaint concerns.

Every event passes here, so each is one statement built once (no per-call construction or compilation): the
event, and for a complaint's event its units and its mark for the projector (`projections.mark`'s meaning) in the
same statement.
"""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from tousu.contracts.envelope import CloudEvent
from tousu.kit.uow import UnitOfWork
from tousu.reporting.adapters import tables as t
from tousu.reporting.domain.complaint import UNIT_FIELDS

_EVENT = f"""INSERT INTO {t.events.name} (event_id, type, source, tenant, complaint_id, occurred_at, time, envelope)
    VALUES (:event_id, :type, :source, :tenant, :complaint_id, :occurred_at, :time, :envelope)
    ON CONFLICT DO NOTHING"""
_PARAMS = (sa.bindparam("envelope", type_=JSONB), sa.bindparam("units", type_=ARRAY(sa.Text)))

STORE = sa.text(_EVENT).bindparams(_PARAMS[0])
STORE_COMPLAINT_EVENT = sa.text(
    f"""WITH stored AS ({_EVENT}),
    concerned AS (
        INSERT INTO {t.complaint_units.name} (complaint_id, unit)
        SELECT CAST(:complaint_id AS text), unnest(CAST(:units AS text[])) ON CONFLICT DO NOTHING
    )
    INSERT INTO {t.dirty.name} (complaint_id) VALUES (:complaint_id)
    ON CONFLICT (complaint_id) DO UPDATE SET complaint_id = excluded.complaint_id"""
).bindparams(*_PARAMS)
"""The no-op update of `dirty` locks a row already there, so a projector cannot claim it and fold before this
event is committed (it skips locked rows); the complaint is folded again for this event either way."""


async def store(uow: UnitOfWork, event: CloudEvent) -> None:
    """Record the event once (a redelivery or a replayed copy changes nothing); a complaint's event also records
    the units it names and marks the complaint for the projector."""
    params = {
        "event_id": event.id,
        "type": event.type,
        "source": event.source,
        "tenant": event.tenant,
        "complaint_id": event.complaint_id,
        "occurred_at": event.occurred_at,
        "time": event.time,
        "envelope": event.model_dump(mode="json"),
    }
    if event.complaint_id is None:
        await uow.session.execute(STORE, params)
        return
    params["units"] = sorted({str(event.data[f]) for f in UNIT_FIELDS if event.data.get(f)})
    await uow.session.execute(STORE_COMPLAINT_EVENT, params)
