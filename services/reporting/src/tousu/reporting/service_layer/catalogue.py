"""The reports every regime owes (policies/*.yaml `reports`), as reporting reads them."""

from dataclasses import dataclass

from tousu.contracts.policy import Policy, Report
from tousu.kit.errors import NotFoundError
from tousu.reporting.domain.periods import CALENDAR_PERIODS


@dataclass(frozen=True)
class Owed:
    regime: str
    report: Report


class Catalogue:
    def __init__(self, policies: dict[str, Policy]) -> None:
        self.policies = policies
        self._all = [Owed(p.id, r) for p in policies.values() for r in p.reports]
        self._triggered: dict[str, list[Owed]] = {}
        for owed in self._all:
            if owed.report.trigger is not None:
                self._triggered.setdefault(owed.report.trigger.event, []).append(owed)

    def all(self) -> list[Owed]:
        return list(self._all)

    def calendar(self) -> list[Owed]:
        """Reports that fall due on the calendar (weekly … annual)."""
        return [o for o in self.all() if o.report.period in CALENDAR_PERIODS]

    def triggered_by(self, event_type: str) -> list[Owed]:
        """The reports a fact of this type may oblige (looked up once per event: most types oblige none)."""
        return self._triggered.get(event_type, [])

    def find(self, kind: str, regimes: list[str] | None = None) -> Owed:
        """The report `kind`; where several regimes name it, the one among `regimes` (the organisation's)."""
        matches = [o for o in self.all() if o.report.kind == kind]
        if not matches:
            raise NotFoundError(f"no report kind {kind}")
        if regimes:
            preferred = [o for o in matches if o.regime in regimes]
            if preferred:
                return preferred[0]
        return matches[0]

    def regime_of(self, kind: str, regime: str) -> Owed:
        """The report `kind` of `regime` (the regime an instance was announced under)."""
        return self.find(kind, [regime])

    def callback_coverage(self, regime: str) -> dict[str, float]:
        policy = self.policies.get(regime)
        if policy is None:
            return {}
        return {c.id: c.coverage for c in policy.callbacks if c.coverage is not None}

    def parameter(self, regime: str | None, name: str) -> object:
        policy = self.policies.get(regime or "")
        if policy is None or name not in policy.parameters:
            return None
        return policy.parameters[name].default
