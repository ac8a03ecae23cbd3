"""Prometheus metrics shared by every service (served at /metrics)."""

from prometheus_client import Counter, Gauge, Histogram

MESSAGES = Counter("tousu_messages_total", "Messages handled", ["service", "queue", "outcome"])
BATCH_SECONDS = Histogram("tousu_batch_seconds", "Time to handle one consumed batch", ["service", "queue"])
OUTBOX_PUBLISHED = Counter("tousu_outbox_published_total", "Outbox rows published with confirms", ["service"])
OUTBOX_FAILED = Counter("tousu_outbox_failed_total", "Outbox publishes refused or unroutable", ["service"])
PROVISIONAL_CLOCKS = Gauge(
    "tousu_provisional_clocks", "Open clocks whose deadline reaches into a year the calendar does not know"
)
TIMERS_FIRED = Counter("tousu_timers_fired_total", "Durable timers fired", ["kind"])
