"""One complaint as the reports see it: a pure fold of all its events (the read model's row).

The fold sorts the facts by business time, then by a fixed rank of their types and their ids, so the same set of
events gives the same view whatever order (and however many times) they arrived in: a rebuild by replay of the
`events` table gives identical rows.
"""

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any

from tousu.contracts.types import iso

UNIT_FIELDS = ("receiving_unit", "respondent_unit", "unit", "from_unit", "to_unit", "owner_unit", "by_unit")
"""Fields of an event's data naming a unit the complaint concerns (visibility, CONTRACT §3)."""

CLOSING = frozenset({"complaint.closed", "complaint.closed_at_intake", "complaint.withdrawn"})
_RANK = {"complaint.received": 0, "complaint.closed_at_intake": 1, "complaint.reclassified": 2}


@dataclass(frozen=True)
class Fact:
    """An event as stored in `events`."""

    id: str
    type: str
    occurred_at: datetime
    data: Mapping[str, Any]

    @property
    def order(self) -> tuple[datetime, int, str]:
        return (self.occurred_at, _RANK.get(self.type, 9), self.id)


@dataclass
class Clock:
    stage: str
    cycle: int
    owner_unit: str | None = None
    clock: str | None = None
    started_at: str | None = None
    due_at: str | None = None
    breached_at: str | None = None
    stopped_at: str | None = None
    met: bool = False
    stopped: bool = False
    breached: bool = False
    breach_withdrawn: bool = False
    paused: bool = False
    warned: bool = False
    extended: bool = False

    @property
    def state(self) -> str:
        """CONTRACT §6 states, from the facts known, whatever order they came in."""
        if self.met or self.breach_withdrawn:
            return "met"
        if self.breached:
            return "breached"
        if self.stopped:
            return "stopped"
        if self.paused:
            return "paused"
        return "extended" if self.extended else "running"

    @property
    def open(self) -> bool:
        return self.state in ("running", "paused", "extended")


@dataclass
class ComplaintView:
    complaint_id: str
    tenant: str | None = None
    reference: str | None = None
    regime: str | None = None
    received_at: str | None = None
    receiving_unit: str | None = None
    respondent_unit: str | None = None
    owner_unit: str | None = None
    channel: str | None = None
    kind: str | None = None
    category: str | None = None
    priority: str | None = None
    major: bool = False
    important: bool = False
    status: str = "unknown"
    """unknown (facts before the complaint itself), open, referred, closed, withdrawn."""
    closed_at: str | None = None
    closed_at_intake: bool = False
    closed_by: str | None = None
    archive_class: str | None = None
    acknowledged_at: str | None = None
    replied_at: str | None = None
    result_at: str | None = None
    solution: str | None = None
    rectification_measures: str | None = None
    satisfied: bool | None = None
    callbacks: int = 0
    sample_callbacks: int = 0
    repeat: bool = False
    repeat_cause: str | None = None
    parent_complaint_id: str | None = None
    dispatches: int = 1
    result_rejections: int = 0
    objections: int = 0
    responsible: bool | None = None
    responsibility_type: str | None = None
    reconsideration_requested: bool = False
    compliance_referred: bool = False
    escalations: list[dict[str, Any]] = field(default_factory=list)
    clocks: list[Clock] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    path: list[str] = field(default_factory=list)
    """Event types of the case's journey, in business-time order (the register's "process", RPT-14)."""

    # -- derived figures -------------------------------------------------------------------------------------------

    @property
    def breached(self) -> bool:
        return any(c.state == "breached" for c in self.clocks)

    @property
    def closed(self) -> bool:
        return self.status == "closed"

    @property
    def timely(self) -> bool | None:
        """Decided once a clock breached (untimely) or the complaint closed without one (timely)."""
        if self.breached:
            return False
        return True if self.closed else None

    @property
    def handling_hours(self) -> float | None:
        if not self.closed or self.received_at is None or self.closed_at is None:
            return None
        seconds = (datetime.fromisoformat(self.closed_at) - datetime.fromisoformat(self.received_at)).total_seconds()
        return round(max(0.0, seconds) / 3600, 4)

    @property
    def second(self) -> bool:
        """A second complaint (二次投诉, RPT-18): a repeat, or a case dispatched again."""
        return self.repeat or self.dispatches > 1

    @property
    def first_time_completion(self) -> bool:
        return self.closed and self.dispatches <= 1 and self.result_rejections == 0 and self.objections == 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> "ComplaintView":
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in raw.items() if k in known}
        values["clocks"] = [Clock(**c) for c in raw.get("clocks", [])]
        return cls(**values)


def _s(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return iso(value)
    return iso(datetime.fromisoformat(str(value)))


def _complaint_fields(view: ComplaintView, d: Mapping[str, Any]) -> None:
    """What complaint.received (or closed_at_intake, which may come without it) says about the complaint."""
    for name in ("reference", "regime", "receiving_unit", "respondent_unit", "channel", "kind", "category"):
        if d.get(name) is not None:
            setattr(view, name, str(d[name]))
    if d.get("priority") is not None:
        view.priority = str(d["priority"])
    if d.get("received_at") is not None:
        view.received_at = _s(d["received_at"])
    if d.get("parent_complaint_id"):
        view.parent_complaint_id = str(d["parent_complaint_id"])
    flags = d.get("flags") or {}
    view.important = view.important or bool(flags.get("important_customer") or flags.get("important_owner"))
    classification = d.get("classification") or {}
    view.major = view.major or bool(classification.get("major")) or view.priority == "major"


def fold(complaint_id: str, facts: Iterable[Fact], tenant: str | None = None) -> ComplaintView:
    view = ComplaintView(complaint_id=complaint_id, tenant=tenant)
    clocks: dict[tuple[str, int], Clock] = {}
    units: set[str] = set()
    seen: set[str] = set()
    for fact in sorted(facts, key=lambda f: f.order):
        if fact.id in seen:
            continue
        seen.add(fact.id)
        try:
            _apply(view, clocks, units, fact)
        except (KeyError, TypeError, ValueError):
            continue  # a fact lacking what its type promises is left out, never a stalled read model
    view.clocks = sorted(clocks.values(), key=lambda c: (c.started_at or "", c.stage, c.cycle))
    view.units = sorted(units)
    return view


def _apply(view: ComplaintView, clocks: dict[tuple[str, int], Clock], units: set[str], fact: Fact) -> None:
    d, t, at = fact.data, fact.type, _s(fact.occurred_at)
    units.update(str(d[f]) for f in UNIT_FIELDS if d.get(f))
    if view.regime is None and d.get("regime"):
        view.regime = str(d["regime"])
    if view.reference is None and d.get("reference"):
        view.reference = str(d["reference"])
    if t.startswith("sla."):
        _clock(clocks, t, d, at)
        return
    if t.startswith(("complaint.", "callback.", "reconsideration.", "compliance.")):
        view.path.append(t)
    if t == "complaint.received":
        _complaint_fields(view, d)
        scope = (d.get("classification") or {}).get("scope")
        if view.status in ("unknown", "open"):
            view.status = "referred" if scope == "referred" else "open"
        view.owner_unit = view.owner_unit or view.respondent_unit
    elif t == "complaint.closed_at_intake":
        _complaint_fields(view, d)
        view.status, view.closed_at, view.closed_at_intake = "closed", _s(d.get("closed_at")) or at, True
        view.closed_by = view.closed_by or d.get("receiving_unit")
        view.satisfied = bool(d.get("customer_satisfied", True))
        view.solution = view.solution or d.get("resolution")
        view.received_at = view.received_at or at
    elif t == "complaint.reclassified":
        for name in ("kind", "priority", "category"):
            if d.get(name) is not None:
                setattr(view, name, str(d[name]))
        view.major = view.major or view.priority == "major" or bool((d.get("classification") or {}).get("major"))
    elif t == "complaint.assigned":
        view.owner_unit = str(d["unit"])
    elif t == "complaint.forwarded":
        view.owner_unit = str(d["to_unit"])
    elif t == "complaint.redispatched":
        view.owner_unit = str(d["to_unit"])
        view.dispatches = max(view.dispatches, int(d.get("dispatch_number") or 2))
    elif t == "complaint.acknowledged":
        view.acknowledged_at = view.acknowledged_at or at
    elif t == "complaint.replied" and not d.get("to_unit"):
        view.replied_at = view.replied_at or at
    elif t == "complaint.result_submitted":
        view.result_at = view.result_at or at
        view.solution = d.get("solution") or view.solution
        view.rectification_measures = d.get("rectification_measures") or view.rectification_measures
    elif t == "complaint.result_rejected":
        view.result_rejections += 1
    elif t == "complaint.objected":
        view.objections += 1
    elif t == "complaint.escalated":
        view.escalations.append(
            {
                "at": at,
                "level": d.get("level"),
                "stage": d.get("stage"),
                "target_unit": d.get("target_unit"),
                "reason": d.get("reason"),
            }
        )
    elif t == "complaint.closed":
        if view.status != "withdrawn":
            view.status = "closed"
        view.closed_at = view.closed_at or at
        view.closed_by = view.closed_by or d.get("by")
        view.archive_class = d.get("archive_class") or view.archive_class
        if d.get("satisfied") is not None:
            view.satisfied = bool(d["satisfied"])
    elif t == "complaint.withdrawn":
        view.status, view.closed_at = "withdrawn", at
    elif t == "callback.recorded":
        if d.get("sample"):
            view.sample_callbacks += 1
        else:
            view.callbacks += 1
        view.satisfied = bool(d["satisfied"])
    elif t == "complaint.repeat_detected":
        view.repeat, view.repeat_cause = True, d.get("cause")
        view.parent_complaint_id = str(d.get("parent_complaint_id") or view.parent_complaint_id or "") or None
    elif t == "responsibility.determined":
        view.responsible = bool(d["responsible"])
        view.responsibility_type = d.get("type")
    elif t == "reconsideration.requested":
        view.reconsideration_requested = True
    elif t == "compliance.referred":
        view.compliance_referred = True


def _clock(clocks: dict[tuple[str, int], Clock], t: str, d: Mapping[str, Any], at: str | None) -> None:
    key = (str(d["stage"]), int(d.get("cycle") or 1))
    c = clocks.setdefault(key, Clock(stage=key[0], cycle=key[1]))
    c.owner_unit = d.get("owner_unit") or c.owner_unit
    c.clock = d.get("clock") or c.clock
    if d.get("due_at") is not None:
        c.due_at = _s(d["due_at"])  # as it stands after this event: the latest one in business time wins
    if t == "sla.clock_started":
        c.started_at = _s(d.get("started_at")) or at
    elif t == "sla.warning":
        c.warned = True
    elif t == "sla.breached":
        c.breached, c.breached_at = True, _s(d.get("breached_at")) or at
    elif t == "sla.breach_withdrawn":
        c.breach_withdrawn, c.breached_at = True, _s(d.get("breached_at")) or c.breached_at
        c.stopped_at = _s(d.get("stopped_at")) or c.stopped_at
    elif t == "sla.met":
        c.met, c.stopped_at = True, _s(d.get("stopped_at")) or at
    elif t == "sla.clock_stopped":
        c.stopped, c.stopped_at = True, _s(d.get("stopped_at")) or at
    elif t == "sla.paused":
        c.paused = True
    elif t == "sla.resumed":
        c.paused = False
    elif t == "sla.extended":
        c.extended = True
