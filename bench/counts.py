"""Lost and doubled, counted from the services' own databases (never from the harness's counters).

For one phase's tenant, each check gives `rows` and `distinct` (distinct complaints, or distinct
complaint-stage-cycle for clocks): a complaint missing anywhere is lost, a second row or event for the same
complaint is doubled. The outbox rows are the events each service published.
"""

from typing import Any

from bench.stack import Stack, bank

COMPLAINT_OF = "convert_from(body, 'UTF8')::jsonb #>> '{data,complaint_id}'"
CLOCK_OF = (
    "convert_from(body, 'UTF8')::jsonb #>> '{data,complaint_id}' || '/' || "
    "(convert_from(body, 'UTF8')::jsonb #>> '{data,stage}') || '/' || "
    "(convert_from(body, 'UTF8')::jsonb #>> '{data,cycle}')"
)


def _published(type_: str, key: str = COMPLAINT_OF) -> str:
    return f"SELECT count(*) AS rows, count(DISTINCT {key}) AS distinct FROM outbox WHERE routing_key = $1 || '.' || $2"


CHECKS: tuple[tuple[str, str, str, str | None], ...] = (
    # (name, service, query with $1 = tenant (or type, tenant), event type for outbox checks)
    (
        "intake.complaints",
        "intake",
        "SELECT count(*) AS rows, count(DISTINCT record->>'external_ref') AS distinct "
        "FROM complaints WHERE tenant = $1",
        None,
    ),
    ("intake: complaint.received published", "intake", _published("complaint.received"), "complaint.received"),
    (
        "routing.cases",
        "routing",
        "SELECT count(*) AS rows, count(DISTINCT complaint_id) AS distinct FROM cases WHERE tenant = $1",
        None,
    ),
    ("routing: complaint.assigned published", "routing", _published("complaint.assigned"), "complaint.assigned"),
    (
        "sla.complaints",
        "sla",
        "SELECT count(*) AS rows, count(DISTINCT complaint_id) AS distinct FROM complaints WHERE tenant = $1",
        None,
    ),
    (
        "sla.clocks (complaints with a clock)",
        "sla",
        "SELECT count(DISTINCT complaint_id) AS rows, count(DISTINCT complaint_id) AS distinct "
        "FROM clocks WHERE tenant = $1",
        None,
    ),
    ("sla: sla.clock_started published", "sla", _published("sla.clock_started", CLOCK_OF), "sla.clock_started"),
    (
        "reporting.events complaint.received",
        "reporting",
        "SELECT count(*) AS rows, count(DISTINCT complaint_id) AS distinct FROM events "
        "WHERE type = 'complaint.received' AND tenant = $1",
        None,
    ),
)


async def complaint_counts(stack: Stack, tenant: str, expected: int) -> dict[str, Any]:
    """Every check for the phase's complaints; `lost` and `doubled` sum up what the checks found."""
    checks: dict[str, dict[str, int]] = {}
    for name, service, query, type_ in CHECKS:
        args = (type_, bank(tenant)) if type_ else (bank(tenant),)
        row = (await stack.fetch(service, query, *args))[0]
        checks[name] = {"rows": int(row["rows"]), "distinct": int(row["distinct"])}
    # A complaint with several clocks publishes several clock_started events: only a repeat of the same
    # complaint-stage-cycle is doubled, and every complaint must have at least one.
    lost = max(0, expected - min(c["distinct"] for n, c in checks.items() if "clock_started" not in n))
    doubled = sum(c["rows"] - c["distinct"] for c in checks.values())
    return {"expected": expected, "lost": lost, "doubled": doubled, "checks": checks}
