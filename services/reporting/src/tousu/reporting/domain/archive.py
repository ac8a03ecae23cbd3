"""Filing a closed complaint (ARC-*), pure: its archive class and the items of its file still missing."""

from datetime import datetime

from tousu.reporting.domain.complaint import ComplaintView


def archive_class(view: ComplaintView) -> str:
    """The closure's class where routing names one (ARC-08: 客户投诉处理不满意), else how it ended."""
    if view.archive_class:
        return view.archive_class
    if view.status == "withdrawn":
        return "withdrawn"
    return "closed_at_intake" if view.closed_at_intake else "normal"


def missing_items(view: ComplaintView) -> list[str]:
    """The register's items (ARC-02, ARC-03: content, process, result, satisfaction) the file lacks; a withdrawn
    complaint's file needs only the complaint itself."""
    missing = [] if view.received_at else ["complaint"]
    if view.status == "withdrawn":
        return missing
    if not (view.result_at or view.closed_at_intake or view.replied_at):
        missing.append("result")
    if view.satisfied is None:
        missing.append("satisfaction")
    return missing


def years_after(at: datetime, years: int) -> datetime:
    try:
        return at.replace(year=at.year + years)
    except ValueError:  # 29 February
        return at.replace(year=at.year + years, day=28)
