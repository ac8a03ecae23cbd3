"""Bearer tokens (CONTRACT §3): the caller's organisation and roles, and hierarchy visibility."""

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import jwt

ROLES = frozenset({"submitter", "handler", "supervisor", "auditor", "admin"})
ALGORITHM = "HS256"
ISSUER = "tousu"


class AuthError(Exception):
    """Missing or bad token (401)."""


@dataclass(frozen=True)
class Principal:
    org: str
    roles: frozenset[str]
    subject: str

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    def has_any(self, roles: Iterable[str]) -> bool:
        return self.is_admin or bool(self.roles & set(roles))


def issue_token(
    secret: str, org: str, roles: Iterable[str], *, ttl_s: int = 30 * 24 * 3600, subject: str | None = None
) -> str:
    wanted = frozenset(roles)
    unknown = wanted - ROLES
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}; known: {sorted(ROLES)}")
    now = int(time.time())  # token validity follows the system clock, never the business clock
    claims = {"iss": ISSUER, "sub": subject or org, "org": org, "roles": sorted(wanted), "iat": now, "exp": now + ttl_s}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(secret: str, token: str) -> Principal:
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], issuer=ISSUER, options={"require": ["exp", "org"]})
    except jwt.PyJWTError as exc:
        raise AuthError(str(exc)) from exc
    roles = frozenset(claims.get("roles", [])) & ROLES
    return Principal(org=str(claims["org"]), roles=roles, subject=str(claims.get("sub", claims["org"])))


class OrgTree:
    """Parent links of the organisation registry (or a service's replica of it)."""

    def __init__(self, parents: Mapping[str, str | None]) -> None:
        self.parents = dict(parents)

    def ancestors(self, unit: str) -> list[str]:
        """`unit` first, then its parent, up to the root (cycle-safe)."""
        chain: list[str] = []
        current: str | None = unit
        while current is not None and current not in chain:
            chain.append(current)
            current = self.parents.get(current)
        return chain

    def is_within(self, unit: str, ancestor: str) -> bool:
        return ancestor in self.ancestors(unit)

    def sees(self, principal: Principal, units: Iterable[str]) -> bool:
        """A caller sees a complaint when any unit it concerns (respondent, receiver, forwarders)
        is the caller's organisation or one of its descendants; `admin` sees everything."""
        return principal.is_admin or any(self.is_within(u, principal.org) for u in units)
