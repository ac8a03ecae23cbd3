"""Test calendar TC-2026 of DOMAIN.md §10 (assumed, loaded as data through CONTRACT §6)."""

from datetime import date, timedelta


def _days(first: str, last: str) -> list[str]:
    a, b = date.fromisoformat(first), date.fromisoformat(last)
    return [(a + timedelta(days=i)).isoformat() for i in range((b - a).days + 1)]


TC_2026 = {
    "holidays": [
        *_days("2026-01-01", "2026-01-03"),
        *_days("2026-02-15", "2026-02-23"),
        *_days("2026-04-04", "2026-04-06"),
        *_days("2026-05-01", "2026-05-05"),
        *_days("2026-06-19", "2026-06-21"),
        *_days("2026-09-25", "2026-09-27"),
        *_days("2026-10-01", "2026-10-07"),
    ],
    "working_days": ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"],
    "source": "DOMAIN.md §10 TC-2026 (assumed test calendar)",
}
