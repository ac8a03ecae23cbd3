"""Events produced by reporting (ARCHITECTURE §1): periodic reports, regulator reports, archiving.

A report is named by its `kind` (DOMAIN §6, e.g. `regulator-semiannual`, `monthly-compliance`), its `period`
(e.g. 2026-H1, 2026-07, 2026-Q3, 2026) and the organisation it is for.
"""

from pydantic import Field

from tousu.contracts.events.base import EventData, event
from tousu.contracts.types import BusinessTime, Id


class ReportEventData(EventData):
    """Fields every report event carries."""

    kind: str
    period: str
    org: Id
    due_at: BusinessTime | None = None
    """None where the regime sets no due date (e.g. the Liaoning bulletin, RPT-01)."""
    recipients: list[str] = Field(default_factory=list)
    """Whom the report goes to: the regulator, the compliance department, the responsible person, ..."""


@event("report.due", "reporting")
class ReportDue(ReportEventData):
    """A period ended and its report is now due."""


@event("report.generated", "reporting")
class ReportGenerated(ReportEventData):
    """The report was produced; `url` is the platform's address of it (CONTRACT §8 `GET /v1/reports/{kind}`)."""

    url: str | None = None
    formats: list[str] = Field(default_factory=list)


@event("report.submitted", "reporting")
class ReportSubmitted(ReportEventData):
    """The organisation recorded that it submitted the report (CONTRACT §8 submissions)."""

    submitted_at: BusinessTime
    to: str | None = None
    """Whom it was submitted to, as recorded."""
    late: bool = False


@event("report.overdue", "reporting")
class ReportOverdue(ReportEventData):
    """The due time passed without a submission."""


@event("regulator.report_required", "reporting")
class RegulatorReportRequired(EventData):
    """A fact (a large-scale detection, a public criticism, ...) obliges a report to the regulator."""

    reason: str
    due_at: BusinessTime
    to: str | None = None
    """The regulator to report to, e.g. the CBRC local office."""
    source_event: str | None = None
    """CloudEvents id of the fact that obliges the report."""
    source_type: str | None = None
    """Its event type, e.g. complaint.large_scale_detected or sanction.imposed."""
    org: Id | None = None
    urgency: str | None = None
    recommendation: str | None = None
    complaint_ids: list[str] = Field(default_factory=list)


@event("complaint.archived", "reporting")
class ComplaintArchived(EventData):
    """The complaint's file is complete and archived, with its archive and retention class (ARC-*)."""

    complaint_id: str
    regime: str
    archive_class: str | None = None
    archived_by: str | None = None
    retention_class: str | None = None
    retain_until: BusinessTime | None = None
    complete: bool = True
    missing: list[str] = Field(default_factory=list)
    """Items of the file still missing when it was archived incomplete."""
    reference: str | None = None


__all__ = [
    "ComplaintArchived",
    "RegulatorReportRequired",
    "ReportDue",
    "ReportEventData",
    "ReportGenerated",
    "ReportOverdue",
    "ReportSubmitted",
]
