"""Human-friendly reference numbers: unique per tenant and year."""


def format_reference(tenant: str, year: int, number: int) -> str:
    return f"{tenant.upper()}-{year}-{number:06d}"
