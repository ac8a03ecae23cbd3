"""Error kinds that decide a message's fate: retried with back-off, or parked at once with the reason."""

from dataclasses import dataclass, field

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError


@dataclass(frozen=True)
class FieldError:
    """One bad field, named, with the rule it breaks (RFC 9457 `errors` item)."""

    field: str
    message: str
    rule: str | None = None

    def as_dict(self) -> dict[str, str]:
        item = {"field": self.field, "message": self.message}
        if self.rule:
            item["rule"] = self.rule
        return item


@dataclass
class PermanentError(Exception):
    """Bad input or a broken business rule: retrying cannot help, so the message is parked at once.

    Texts must never carry personal data: name the field and the rule, not the value.
    """

    title: str
    errors: list[FieldError] = field(default_factory=list)
    status: int = 422
    rule: str | None = None

    def __str__(self) -> str:
        parts = [
            self.title,
            *(f"{e.field}: {e.message}" + (f" [{e.rule}]" if e.rule else "") for e in self.errors),
        ]
        return "; ".join(parts)


class ConflictError(PermanentError):
    """The action is not allowed in the current state (HTTP 409)."""

    def __init__(self, title: str, rule: str | None = None, errors: list[FieldError] | None = None) -> None:
        super().__init__(title=title, errors=errors or [], status=409, rule=rule)


class NotFoundError(PermanentError):
    def __init__(self, title: str) -> None:
        super().__init__(title=title, status=404)


class TransientError(Exception):
    """A dependency is unavailable: retry with back-off, never park."""


def is_transient(exc: BaseException) -> bool:
    """The database or the broker is unavailable or saturated (a pool timeout included): the same work can succeed
    later, so a message is retried without limit and an HTTP caller gets 503 with Retry-After."""
    if isinstance(exc, TransientError | OSError | TimeoutError | ConnectionError | InterfaceError | PoolTimeoutError):
        return True
    if isinstance(exc, OperationalError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated
