"""Human-friendly reference numbers: unique per tenant and year.

A tenant's year is counted by `SHARDS` counter rows rather than one: shard `s` issues base + s + 1,
base + s + 1 + SHARDS, ... so no two shards issue the same number, and a submission takes the least-used shard that
no other transaction holds. Concurrent submissions (a mass incident) then do not queue on one row lock held until
their commit; one at a time they still count 1, 2, 3, ... A number is taken in the complaint's transaction, so a
refused or failed submission leaves no gap. Numbers follow the order of taking, not always of commit.
"""

SHARDS = 16
"""Fixed: the arithmetic below depends on it (changing it needs a migration like intake's 0003)."""


def reference_number(base: int, shard: int, issued: int) -> int:
    """The number a shard issues as its `issued`-th (1-based)."""
    return base + (issued - 1) * SHARDS + shard + 1


def format_reference(tenant: str, year: int, number: int) -> str:
    return f"{tenant.upper()}-{year}-{number:06d}"
