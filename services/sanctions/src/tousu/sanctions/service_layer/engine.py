"""Events in: record the fact, keep the complaint's projection, run the event rules of its regime.

Business time comes from the events (`occurred_at`), never from arrival. Handlers are idempotent per event (the
inbox) and a rule fires once per subject (imposing.impose), so a redelivery or a replay imposes nothing twice.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
import structlog
from sqlalchemy.dialects.postgresql import insert

from tousu.contracts.envelope import CloudEvent
from tousu.contracts.policy import conditions_match
from tousu.kit.consumer import Delivery
from tousu.kit.uow import UnitOfWork
from tousu.sanctions.adapters import tables as t
from tousu.sanctions.domain import ladder
from tousu.sanctions.domain.orgs import Orgs
from tousu.sanctions.domain.rules import EventTrigger, KpiTrigger, Rule, RuleBook
from tousu.sanctions.service_layer import determinations, orgs, schedule
from tousu.sanctions.service_layer.imposing import Asked, Standing, Subject, impose, lift_where, money, standing
from tousu.sanctions.service_layer.policies import RuleBooks

log = structlog.get_logger("tousu.sanctions")


PROJECTED = frozenset(
    {"complaint.received", "complaint.reclassified", "complaint.result_submitted", "complaint.closed"}
)


@dataclass(frozen=True)
class Candidate:
    """A rule whose conditions an event meets, with the subject it would act on."""

    rule: Rule
    trigger: EventTrigger
    values: dict[str, Any]
    """The event's data over the complaint's."""
    asked: Asked


def _fact(event: CloudEvent) -> sa.Insert:
    return (
        insert(t.facts)
        .values(
            event_id=event.id,
            type=event.type,
            tenant=event.tenant,
            complaint_id=event.complaint_id,
            regime=event.data.get("regime"),
            occurred_at=event.occurred_at,
            data=event.data,
        )
        .on_conflict_do_nothing()
    )


class OutOfOrder(Exception):
    """An event about a complaint sanctions has not heard of yet: retried until `complaint.received` is in."""


def _instant(raw: Any) -> datetime:
    return raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw))


class Engine:
    def __init__(self, books: RuleBooks) -> None:
        self.books = books
        self.reactive = PROJECTED | {"sla.breach_withdrawn"} | books.rule_events()
        """The event types something can react to; of the others only the fact is kept."""
        self.tree_wanted = books.resolving_units()
        """(regime, event type) whose handling resolves units: the replica is read with the complaint."""

    async def on_event(self, uow: UnitOfWork, delivery: Delivery) -> None:
        event = delivery.event
        assert event is not None
        if event.type == "org.updated":
            await orgs.on_org_updated(uow, event)
            return
        fact = _fact(event)
        if event.complaint_id is None or event.type not in self.reactive:
            await uow.session.execute(fact)  # kept for `unless`, counts and KPIs; nothing reacts to it now
            return
        rules = self.books.get(str(event.data.get("regime")))
        needed = event.type in PROJECTED or bool(rules and rules.on_event(event.type))
        with_tree = (event.data.get("regime"), event.type) in self.tree_wanted
        complaint, tree = await self._project(uow, event, fact, needed, with_tree)
        if complaint is None:
            return
        book = self.books.get(complaint.regime, complaint.policy_version)
        if book is None:
            return
        feed = {"complaint.received": "received", "complaint.closed": "closed"}.get(event.type)
        rules_here = book.on_event(event.type)
        if not rules_here and (feed is None or not book.of_type(KpiTrigger)):
            tree = Orgs()  # nothing here resolves a unit: spare the replica's read
        elif tree is None:
            tree = await orgs.load(uow)  # the event's regime (if it names one) is not the complaint's
        if feed == "received":
            await schedule.for_complaint(uow, book, tree, complaint.data, "received", event.occurred_at, event.tenant)
        elif feed == "closed":
            await schedule.for_complaint(uow, book, tree, complaint.data, "closed", event.occurred_at, event.tenant)
        elif event.type == "sla.breach_withdrawn":
            # A stop in time that arrived late: the breach never was, nor what it caused (ARCHITECTURE §5).
            s = t.sanctions.c.source
            await lift_where(
                uow,
                event.occurred_at,
                f"breach of {event.data.get('stage')} withdrawn: the stage ended in time",
                s["type"].astext == "sla.breached",
                s["complaint_id"].astext == event.complaint_id,
                s["stage"].astext == str(event.data.get("stage")),
            )
        candidates = [
            found
            for rule, trigger in rules_here
            if (found := await self._candidate(uow, book, tree, rule, trigger, event, complaint)) is not None
        ]
        # One read tells every candidate whether its subject has its sanction already and whether the ladder
        # step it escalates was held: a burst against one outlet costs one indexed look-up per complaint.
        known = await standing(uow, [c.asked for c in candidates])
        for candidate in candidates:
            await self._run(uow, book, tree, candidate, event, complaint, known)

    async def _project(
        self, uow: UnitOfWork, event: CloudEvent, fact: sa.Insert, needed: bool, with_tree: bool
    ) -> tuple[Any, Orgs | None]:
        """Record the fact and return the complaint as sanctions knows it (with the organisation replica when the
        rules will resolve a unit), in one statement. An event before its complaint.received is retried when a rule
        or the projection needs it, else kept as a fact only."""
        c = t.complaints.c
        data = event.data
        extra = [orgs.TREE] if with_tree else []
        current = sa.select(t.complaints, *extra).where(c.complaint_id == event.complaint_id)
        if event.type == "complaint.received":
            created = (
                insert(t.complaints)
                .values(
                    complaint_id=event.complaint_id,
                    tenant=event.tenant,
                    regime=data["regime"],
                    policy_version=str(data.get("policy_version") or ""),
                    received_at=_instant(data.get("received_at") or data["occurred_at"]),
                    respondent_unit=data.get("respondent_unit"),
                    data=data,
                )
                .on_conflict_do_nothing()
                .returning(*t.complaints.c)
                .cte("created")
            )
            # The statement's snapshot does not see its own insert: exactly one of the two parts has the row.
            query: sa.Select[Any] | sa.CompoundSelect[Any] = sa.union_all(sa.select(created, *extra), current)
        else:
            query = current
        found = (await uow.session.execute(query.add_cte(fact.cte("fact")))).first()
        if found is None:
            if needed:
                raise OutOfOrder(f"{event.type} before complaint.received for {event.complaint_id}")
            return None, None
        tree = orgs.tree_of(found.orgs) if with_tree else None
        values: dict[str, Any] = {}
        if event.type == "complaint.reclassified":
            changed = {k: data[k] for k in ("kind", "priority", "category") if data.get(k)}
            values["data"] = {**found.data, **changed}
        elif event.type == "complaint.result_submitted" and data.get("kind") in (None, "final"):
            at = event.occurred_at
            values["completed_at"] = sa.func.least(sa.func.coalesce(c.completed_at, at), at)
            if data.get("rectification_measures"):
                await self._rectified(uow, event, found)
        elif event.type == "complaint.closed":
            values["closed_at"] = sa.func.coalesce(c.closed_at, event.occurred_at)
            values["completed_at"] = sa.func.coalesce(c.completed_at, event.occurred_at)
        if values:
            update = sa.update(t.complaints).where(c.complaint_id == event.complaint_id).values(values)
            found = (await uow.session.execute(update.returning(*t.complaints.c))).first()
        return found, tree

    @staticmethod
    async def _rectified(uow: UnitOfWork, event: CloudEvent, complaint: Any) -> None:
        """Rectification measures stated in a result count as the complained unit's rectification (SAN-05)."""
        await uow.session.execute(
            insert(t.rectifications)
            .values(
                id=event.id,
                org=complaint.respondent_unit or event.data.get("by"),
                tenant=event.tenant,
                category=complaint.data.get("category"),
                complaint_ids=[event.complaint_id],
                measures=str(event.data["rectification_measures"]),
                at=event.occurred_at,
                source=event.type,
            )
            .on_conflict_do_nothing()
        )

    async def _candidate(
        self,
        uow: UnitOfWork,
        book: RuleBook,
        tree: Orgs,
        rule: Rule,
        trigger: EventTrigger,
        event: CloudEvent,
        complaint: Any,
    ) -> Candidate | None:
        """The subject a rule would act on for this event, when its conditions hold."""
        data = event.data
        if not conditions_match(trigger.when, data, fallback=complaint.data, params=book.params, org_kind=tree.kind):
            return None
        if trigger.unless and await self._has_fact(uow, str(event.complaint_id), trigger.unless, event.id):
            return None
        values = {**complaint.data, **data}
        assert rule.target is not None
        unit = values.get(rule.target.field)
        if isinstance(unit, str) and tree.get(unit) is None:
            raise orgs.UnknownOrg(f"{rule.id}: organisation {unit} not replicated yet")
        target = rule.target.resolve(values, tree)
        if target is None:
            log.info("rule has no target", rule=rule.id, target=str(rule.target), complaint_id=event.complaint_id)
            return None
        key = trigger.count.same if trigger.count is not None else trigger.key
        subject_key = "|".join(f"{k}={values.get(k)}" for k in key)
        asked = Asked(rule.id if trigger.effect == "sanction" else None, trigger.escalates, target, subject_key)
        return Candidate(rule, trigger, values, asked)

    async def _run(
        self,
        uow: UnitOfWork,
        book: RuleBook,
        tree: Orgs,
        candidate: Candidate,
        event: CloudEvent,
        complaint: Any,
        known: Standing,
    ) -> None:
        rule, trigger, values, asked = candidate.rule, candidate.trigger, candidate.values, candidate.asked
        if known.imposed(asked):
            return  # decided before counting
        data = event.data
        c = rule.consequence
        subject = Subject(
            target_org=asked.target,
            tenant=event.tenant,
            occurred_at=event.occurred_at,
            regime=book.regime,
            subject_key=asked.subject_key,
            persons=[str(p) for p in values.get(c.persons, [])] if c.persons else [],
            complaint_id=event.complaint_id,
            complaint_ids=[str(event.complaint_id)],
            event_ids=[str(event.id)],
            source={"type": event.type, "complaint_id": event.complaint_id, "stage": data.get("stage")},
            values=values,
        )
        if trigger.count is not None:
            counted = await self._count(uow, book, tree, trigger, event, values, known.held_at(asked))
            if counted is None or not counted.fires:
                return
            subject.complaint_ids = counted.complaint_ids
            subject.figures = {"count": counted.count, "threshold": counted.threshold}
        if c.amount is not None:
            subject.amount = money(values.get(c.amount))
            if subject.amount is None:
                return
            subject.figures = {"refunded": str(subject.amount.amount)}
            if c.multiple is not None:
                subject.figures["multiple"] = str(c.multiple)
            disputed = money(complaint.data.get("disputed_amount"))
            if disputed is not None:
                subject.figures["wrongly_charged"] = str(disputed.amount)
        if trigger.effect == "responsibility_complaint":
            await determinations.charge_by_rule(uow, book, rule, subject)
            return
        await impose(uow, tree, rule.kind, rule.rule_id, subject, rule=rule, book=book)

    @staticmethod
    async def _has_fact(uow: UnitOfWork, complaint_id: str, types: list[str], other_than: Any) -> bool:
        f = t.facts.c
        query = sa.select(f.event_id).where(f.complaint_id == complaint_id, f.type.in_(types), f.event_id != other_than)
        return (await uow.session.execute(query.limit(1))).first() is not None

    async def _count(
        self,
        uow: UnitOfWork,
        book: RuleBook,
        tree: Orgs,
        trigger: EventTrigger,
        event: CloudEvent,
        values: dict[str, Any],
        held_at: datetime | None,
    ) -> ladder.Counted | None:
        """How many facts of the same problem count for this rule now (SAN-01, SAN-02, SAN-10)."""
        rec = trigger.count
        assert rec is not None
        if any(values.get(name) is None for name in rec.same):
            return None
        if trigger.escalates and held_at is None:
            return None  # the previous step has not been held: nothing to escalate yet
        rectified_at = None
        if rec.reset_by_rectification_of and values.get(rec.reset_by_rectification_of):
            r = t.rectifications.c
            rectified_at = (
                await uow.session.execute(
                    sa.select(sa.func.max(r.at)).where(
                        r.org == str(values[rec.reset_by_rectification_of]),
                        r.at <= event.occurred_at,
                        sa.or_(r.category.is_(None), r.category == values.get("category")),
                    )
                )
            ).scalar()
        f = t.facts.c
        query = (
            sa.select(f.occurred_at, f.complaint_id, f.data, t.complaints.c.data.label("complaint"))
            .join(t.complaints, t.complaints.c.complaint_id == f.complaint_id)
            .where(f.type == event.type, f.regime == book.regime, f.occurred_at <= event.occurred_at)
        )
        for name in rec.same:
            field = sa.func.coalesce(f.data[name].astext, t.complaints.c.data[name].astext)
            query = query.where(field == str(values[name]))
        since = max((at for at in (held_at, rectified_at) if at is not None), default=None)
        if since is not None:
            query = query.where(f.occurred_at > since)
        if rec.within_days:
            query = query.where(f.occurred_at >= event.occurred_at - timedelta(days=rec.within_days))
        matching = [
            (at, str(cid))
            for at, cid, data, received in (await uow.session.execute(query)).all()
            if conditions_match(trigger.when, data, fallback=received, params=book.params, org_kind=tree.kind)
        ]
        return ladder.recurrence(rec, matching, event.occurred_at, rectified_at, held_at)
