"""Use cases of a case's journey: what intake and sla tell routing, and the handling actions of CONTRACT §5.

Each use case loads the case under a row lock, lets the domain decide, emits what it yields through the outbox and
saves the journey, all in the caller's transaction.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal
from uuid import UUID

from pydantic import ValidationError

from tousu.contracts.envelope import CloudEvent
from tousu.contracts.policy import Policy
from tousu.contracts.types import SHANGHAI
from tousu.kit.auth import Principal
from tousu.kit.calendar import WorkingCalendar
from tousu.kit.consumer import Delivery
from tousu.kit.errors import FieldError, NotFoundError, PermanentError
from tousu.kit.uow import UnitOfWork
from tousu.routing.adapters import repository
from tousu.routing.domain.case import Emission
from tousu.routing.domain.journey import ACTION_EVENTS, Action, Journey, open_case, sample_due
from tousu.routing.domain.orgs import Org
from tousu.routing.service_layer import orgs

SKEW = timedelta(seconds=60)
"""CONTRACT §5: an action's `at` may be at most this much later than the business clock's now."""


class CaseNotYetKnown(Exception):
    """An event or command about a complaint whose complaint.received has not arrived yet: retried (ARCHITECTURE
    §3: delivery order is not guaranteed), parked after the kit's attempts if it never comes."""


@dataclass
class Routing:
    history: dict[str, dict[str, Policy]] = field(repr=False)
    """Regime → version → policy: a case keeps the version its complaint was received under. Not in the repr: a
    traceback that shows locals (a retried out-of-order event) would render every policy."""
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar, repr=False)

    def policy(self, regime: str, version: str) -> Policy:
        versions = self.history.get(regime)
        if not versions:
            raise PermanentError("unknown regime", [FieldError("regime", f"no policy named {regime}", "CONTRACT §2")])
        return versions.get(version) or next(iter(versions.values()))

    @property
    def regimes(self) -> set[str]:
        return set(self.history)

    async def _journey(self, uow: UnitOfWork, complaint_id: str | UUID) -> Journey | None:
        case = await repository.load_case(uow.session, complaint_id)
        if case is None:
            return None
        policy = self.policy(case.regime, case.policy_version)
        return Journey(case, policy, await repository.registry(uow.session), self.calendar)

    async def _known(self, uow: UnitOfWork, delivery: Delivery) -> tuple[Journey, dict[str, Any]]:
        event = delivery.event
        assert event is not None
        assert event.complaint_id is not None
        journey = await self._journey(uow, event.complaint_id)
        if journey is None:
            raise CaseNotYetKnown(f"{event.type} before complaint.received")
        return journey, dict(event.data)

    async def _commit(
        self, uow: UnitOfWork, journey: Journey, emissions: list[Emission], *, inserted: bool = False
    ) -> list[CloudEvent]:
        """Emit what the journey yielded, then the callbacks the regime asks for (sampled quotas counted here).
        `inserted`: the case was just written as it is, so it is saved again only when a callback changed it."""
        tenant = journey.case.tenant
        events = [uow.emit(e.type, e.data, tenant=tenant) for e in emissions]
        changed = not inserted
        for need in journey.callback_needs(emissions):
            coverage = need.callback.coverage or 1.0
            sample = coverage < 1
            if sample:
                period = need.at.astimezone(SHANGHAI).strftime("%Y-%m")
                closed, sampled = await repository.count_closure(uow.session, need.callback.id, need.by_unit, period)
                if not sample_due(coverage, closed, sampled):
                    continue
                await repository.count_sampled(uow.session, need.callback.id, need.by_unit, period)
            required = journey.callback_required(need, sample)
            events.append(uow.emit(required.type, required.data, tenant=tenant))
            changed = True
        if changed:
            await repository.save_case(uow.session, journey.case)
        return events

    # -- events ------------------------------------------------------------------------------------------------

    async def on_received(self, uow: UnitOfWork, delivery: Delivery) -> None:
        """Open the case: a referral instead (scope referred, exclusive refer rules), or the first owner."""
        event = delivery.event
        assert event is not None
        data = dict(event.data)
        policy = self.policy(str(data["regime"]), str(data.get("policy_version", "")))
        # Optimistic: open it on the registry last read; the insert tells whether that is still the current one.
        registry = repository.last_registry() or await repository.registry(uow.session)
        case, journey, emissions = open_case(data, event.tenant, policy, registry, self.calendar)
        inserted = await repository.insert_case(uow.session, case, registry)
        if inserted == "stale":
            registry = await repository.registry(uow.session)
            case, journey, emissions = open_case(data, event.tenant, policy, registry, self.calendar)
        if inserted != "exists":
            await self._commit(uow, journey, emissions, inserted=inserted == "new")

    async def on_reclassified(self, uow: UnitOfWork, delivery: Delivery) -> None:
        journey, data = await self._known(uow, delivery)
        await self._commit(uow, journey, journey.on_reclassified(data))

    async def on_ended_at_intake(self, uow: UnitOfWork, delivery: Delivery) -> None:
        """Withdrawn (LC-10), or closed at intake (LC-04; normally never a case): closed everywhere."""
        event = delivery.event
        assert event is not None
        assert event.complaint_id is not None
        journey = await self._journey(uow, event.complaint_id)
        if journey is None:
            if event.type == "complaint.closed_at_intake":
                return  # never a case: nothing to close
            raise CaseNotYetKnown(f"{event.type} before complaint.received")
        reason: Literal["withdrawn", "closed_at_intake"] = (
            "withdrawn" if event.type == "complaint.withdrawn" else "closed_at_intake"
        )
        await self._commit(uow, journey, journey.on_ended(dict(event.data), reason))

    async def on_repeat_detected(self, uow: UnitOfWork, delivery: Delivery) -> None:
        journey, data = await self._known(uow, delivery)
        await self._commit(uow, journey, journey.on_repeat(data))

    async def on_reconsideration_requested(self, uow: UnitOfWork, delivery: Delivery) -> None:
        journey, data = await self._known(uow, delivery)
        journey.on_reconsideration(data)
        await self._commit(uow, journey, [])

    async def on_sla_warning(self, uow: UnitOfWork, delivery: Delivery) -> None:
        journey, data = await self._known(uow, delivery)
        await self._commit(uow, journey, journey.on_clock("warning", data))

    async def on_sla_breached(self, uow: UnitOfWork, delivery: Delivery) -> None:
        journey, data = await self._known(uow, delivery)
        await self._commit(uow, journey, journey.on_clock("breach", data))

    # -- actions -----------------------------------------------------------------------------------------------

    async def act(
        self,
        uow: UnitOfWork,
        caller: Principal,
        complaint_id: UUID,
        action: Action,
        missing: Literal["not_found", "retry"] = "not_found",
    ) -> dict[str, Any]:
        """One handling action (CONTRACT §5): 202 with the events it yielded, 409 with the reason, 422."""
        if action.at > uow.now() + SKEW:
            raise PermanentError(
                "the action is in the future",
                [FieldError("at", "later than the business clock's now (60 s of skew allowed)", "CONTRACT §5")],
            )
        journey = await self._journey(uow, complaint_id)
        if journey is None or not (caller.is_admin or journey.registry.sees(caller.org, journey.case.units)):
            if journey is None and missing == "retry":
                raise CaseNotYetKnown("case.act before complaint.received")
            raise NotFoundError("no such case")
        if not (caller.is_admin or journey.registry.is_within(action.by, caller.org)):
            raise PermanentError(
                "the caller may not act for this unit",
                [FieldError("by", "not the caller's organisation or one of its descendants", "CONTRACT §3")],
                status=403,
            )
        events = await self._commit(uow, journey, journey.act(action))
        return {
            "complaint_id": str(complaint_id),
            "type": action.type,
            "event": ACTION_EVENTS[action.type],
            "events": [{"id": str(e.id), "type": e.type} for e in events],
            "case_status": journey.case.status,
        }

    async def on_case_act(self, uow: UnitOfWork, delivery: Delivery) -> None:
        """Ingress `case.act` (CONTRACT §9): the RabbitMQ user maps to an organisation through `ingress_users`."""
        body = dict(delivery.body)
        try:
            complaint_id = UUID(str(body.pop("complaint_id")))
        except (KeyError, ValueError) as exc:
            raise PermanentError(
                "the command is not valid", [FieldError("complaint_id", "a complaint id is required", "CONTRACT §9")]
            ) from exc
        action = parse_action(body)
        caller = await self._ingress_caller(uow, delivery.sender or "", action.by)
        outcome = await self.act(uow, caller, complaint_id, action, missing="retry")
        reply_to = delivery.message.reply_to
        if reply_to:
            uow.reply(reply_to, delivery.message.correlation_id, {"status": 202, **outcome})

    async def _ingress_caller(self, uow: UnitOfWork, user: str, by: str) -> Principal:
        registry = await repository.registry(uow.session)
        principals = registry.ingress_principals(user)
        if not principals:
            raise PermanentError(
                "the sender is not an ingress user of any organisation", status=403, rule="CONTRACT §9"
            )
        # A user several organisations list acts for the one that sees the acting unit.
        org, roles = next(((o, r) for o, r in principals if registry.is_within(by, o)), principals[0])
        if not roles & {"handler", "supervisor", "admin"}:
            raise PermanentError("the sender's roles do not allow handling actions", status=403, rule="CONTRACT §3")
        return Principal(org=org, roles=roles, subject=user)

    # -- the registry ------------------------------------------------------------------------------------------

    async def put_org(self, uow: UnitOfWork, org: Org) -> dict[str, Any]:
        """Register an organisation; an A handler who became unavailable hands unacknowledged cases to B (ORG-04)."""
        record, changed = await orgs.put_org(uow, org, self.regimes)
        if changed:
            for complaint_id in await repository.open_cases_held_by(uow.session, org.id):
                journey = await self._journey(uow, complaint_id)
                assert journey is not None
                case = journey.case
                if case.handler is not None and not journey.registry.is_available(case.holder_unit, case.handler):
                    await self._commit(uow, journey, journey.hand_over(uow.now(), "handler_unavailable", "ORG-04"))
        return record


def parse_action(body: dict[str, Any]) -> Action:
    """An action from a command body; the errors name fields, never echo values (they may be personal data)."""
    try:
        return Action.model_validate(body)
    except ValidationError as exc:
        errors = [
            FieldError(".".join(str(p) for p in e["loc"]) or "body", str(e["msg"]), "CONTRACT §5")
            for e in exc.errors(include_input=False)
        ]
        raise PermanentError("the action is not valid", errors) from exc
