"""Names of exchanges, queues and routing keys (ARCHITECTURE §3, CONTRACT §9). No I/O here.

One quorum queue per consuming service (`tousu.<service>`), bound to every event type the service consumes:
a service's consumer then takes a prefetched batch of mixed event types into one database transaction, and
the number of queues (each with retry tiers and a parking queue) stays small. Ingress commands get a queue of
their own per owning service, so a flood of submissions never queues behind the event backlog.
"""

EVENTS_EXCHANGE = "tousu.events"
INGRESS_EXCHANGE = "tousu.ingress"
CONTROL_EXCHANGE = "tousu.control"
"""Fanout, transient: the controlled clock's instant, shared by every process of a test or demo platform."""

SUBMIT_KEY = "complaint.submit"
CASE_ACT_KEY = "case.act"
INGRESS_QUEUES = {SUBMIT_KEY: "intake.ingress", CASE_ACT_KEY: "routing.ingress"}

RETRY_TIERS_MS = (1_000, 10_000, 60_000)
"""Back-off tiers of the delayed retry path: one queue per tier keeps each tier FIFO without head-of-line waits."""

DELIVERY_LIMIT = 10
"""Explicit quorum `x-delivery-limit`: a message that kills its consumer this often is parked, not looped."""


def routing_key(event_type: str, tenant: str) -> str:
    return f"{event_type}.{tenant}"


def binding_key(event_type: str) -> str:
    """Binds one event type for every tenant."""
    return f"{event_type}.*"


def service_queue(service: str) -> str:
    return f"tousu.{service}"


def ingress_queue(key: str) -> str:
    return f"tousu.{INGRESS_QUEUES[key]}"


def retry_queue(queue: str, delay_ms: int) -> str:
    return f"{queue}.retry.{delay_ms // 1000}s"


def parking_queue(queue: str) -> str:
    return f"{queue}.dlq"
