"""Every regime's sanction rules, by policy version (a complaint keeps the version it was received under)."""

from collections.abc import Iterator
from dataclasses import dataclass, field

from tousu.contracts.policy import Policy
from tousu.sanctions.domain.rules import EventTrigger, KpiTrigger, RuleBook

ALWAYS = (
    "org.updated",
    "complaint.received",
    "complaint.reclassified",
    "complaint.result_submitted",
    "complaint.closed",
    "callback.recorded",
    "sla.breached",
    "sla.breach_withdrawn",
)
"""Facts sanctions keeps whatever the rules say: the replica, complaints, completion, callbacks, breaches."""


@dataclass
class RuleBooks:
    history: dict[str, dict[str, Policy]]
    books: dict[tuple[str, str], RuleBook] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Read every version once at start: a bad entry fails the start, not the first complaint.
        for regime, versions in self.history.items():
            for version, policy in versions.items():
                self.books[(regime, version)] = RuleBook.of(policy)

    def get(self, regime: str, version: str | None = None) -> RuleBook | None:
        """The version asked for, else the one in force (the first of the history: the file itself)."""
        versions = self.history.get(regime)
        if not versions:
            return None
        if version is None or version not in versions:
            version = next(iter(versions))
        return self.books[(regime, version)]

    def current(self) -> Iterator[RuleBook]:
        for regime in self.history:
            book = self.get(regime)
            if book is not None:
                yield book

    def event_types(self) -> set[str]:
        types = set(ALWAYS)
        for book in self.books.values():
            types.update(book.event_types())
        return types

    def rule_events(self) -> set[str]:
        """The event types an event rule of some version reacts to (not those only read by `unless`)."""
        return {trigger.event for book in self.books.values() for _, trigger in book.of_type(EventTrigger)}

    def resolving_units(self) -> set[tuple[str, str]]:
        """(regime, event type) pairs whose handling reads the organisation tree in some version: event rules, and
        the complaints that feed KPIs (engine.on_event)."""
        pairs: set[tuple[str, str]] = set()
        for (regime, _), book in self.books.items():
            pairs.update((regime, trigger.event) for _, trigger in book.of_type(EventTrigger))
            if book.of_type(KpiTrigger):
                pairs.update({(regime, "complaint.received"), (regime, "complaint.closed")})
        return pairs
