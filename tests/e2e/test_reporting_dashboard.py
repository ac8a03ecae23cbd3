"""The operator dashboard in headless Chromium: a breached complaint highlighted, the view following the hierarchy.

Scenario AS-01 (Liaoning, received Friday 2026-04-03 15:20 before Qingming): ASSOC_FORWARD breaches at
2026-04-09T00:00:00; the member bank's supervisor opens `/` and sees the complaint against its
outlet at the top, highlighted as breached; a sibling bank sees nothing of it. A screenshot is kept in
test-artifacts/. Needs Debian's chromium (/usr/bin/chromium) and the `playwright` package: skipped otherwise.
"""

import importlib.util
import uuid
from pathlib import Path

import httpx
import pytest

from tests.e2e.tc2026 import TC_2026
from tousu.kit.auth import issue_token
from tousu.kit.platform import Platform
from tousu.kit.settings import DEV_TOKEN_SECRET
from tousu.kit.testing.plugin import eventually

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path("test-artifacts")
RUN = uuid.uuid4().hex[:6]
ASSOC, BANK, OUTLET, OTHER = (f"dash-{n}-{RUN}" for n in ("assoc", "bank", "outlet", "other"))
REGIME = "liaoning-banking-association"
ORGS = [
    {"id": ASSOC, "name": "协会", "kind": "association", "parent": None, "tenant": ASSOC, "regimes": [REGIME]},
    {"id": BANK, "name": "会员银行", "kind": "member", "parent": ASSOC, "tenant": BANK, "regimes": [REGIME]},
    {"id": OUTLET, "name": "网点", "kind": "outlet", "parent": BANK, "tenant": BANK, "regimes": [REGIME]},
    {"id": OTHER, "name": "另一银行", "kind": "member", "parent": ASSOC, "tenant": OTHER, "regimes": [REGIME]},
]
COMPLAINT = {
    "regime": REGIME,
    "received_at": "2026-04-03T15:20:00+08:00",
    "receiving_unit": ASSOC,
    "receiver_staff": "assoc-staff-1",
    "channel": "phone",
    "kind": "complaint",
    "complainant": {"name": "张三", "phone": "13912345678", "standing": "direct"},
    "respondent": {"unit": OUTLET, "staff": ["teller-wang"]},
    "category": "service_attitude",
    "facts": "Teller refused to exchange damaged notes.",
    "demand": "Exchange the notes.",
}
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def browser_missing() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed (PyPI: playwright)"
    if not CHROMIUM.exists():
        return "Debian's chromium is not installed (apt-get install -y chromium)"
    return None


async def breached_complaint(api: dict[str, httpx.AsyncClient]) -> str:
    """AS-01 through intake, routing and sla: received, then breached at the clock jump."""
    await api["reporting"].put("/admin/clock", json={"now": "2026-04-03T15:21:00+08:00"})
    for org in ORGS:
        response = await api["routing"].put(f"/v1/orgs/{org['id']}", json=org)
        assert response.status_code == 200, response.text
    assert (await api["sla"].put("/v1/calendars/2026", json=TC_2026)).status_code == 200

    async def submitted() -> str | None:
        r = await api["intake"].post("/v1/complaints", json=COMPLAINT, headers={"Idempotency-Key": f"dash-{RUN}"})
        return str(r.json()["id"]) if r.status_code in (200, 201) else None

    complaint_id = await eventually(submitted, timeout=10, interval=0.3)

    async def clock_started() -> bool:
        r = await api["sla"].get(f"/v1/complaints/{complaint_id}/clocks")
        return r.status_code == 200 and any(c["stage"] == "ASSOC_FORWARD" for c in r.json())

    await eventually(clock_started, timeout=15)
    await api["reporting"].put("/admin/clock", json={"now": "2026-04-09T00:00:05+08:00"})
    return complaint_id


async def test_dashboard_shows_a_breached_complaint_highlighted_within_the_hierarchy(
    platform: Platform, api: dict[str, httpx.AsyncClient]
) -> None:
    missing = browser_missing()
    if missing:
        pytest.skip(f"dashboard browser test needs Chromium and Playwright: {missing}")
    from playwright.async_api import async_playwright

    complaint_id = await breached_complaint(api)
    bank = issue_token(DEV_TOKEN_SECRET, BANK, ["supervisor"])
    other = issue_token(DEV_TOKEN_SECRET, OTHER, ["supervisor"])

    async def shown_breached() -> bool:
        r = await api["reporting"].get("/v1/dashboard", headers={"Authorization": f"Bearer {bank}"})
        return any(c["complaint_id"] == complaint_id and c["breached"] for c in r.json()["open"])

    await eventually(shown_breached, timeout=15)

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            context = await browser.new_context(
                viewport={"width": 1400, "height": 1000}, extra_http_headers={"Authorization": f"Bearer {bank}"}
            )
            page = await context.new_page()
            response = await page.goto(platform.url("reporting") + "/")
            assert response is not None
            assert response.status == 200
            row = page.locator(f'tr[data-complaint="{complaint_id}"]')
            await row.wait_for(state="visible", timeout=10_000)
            assert await row.get_attribute("class") == "breached"
            colour = await row.evaluate("r => getComputedStyle(r).backgroundColor")
            assert colour == "rgb(253, 226, 225)"  # the breach highlight
            assert "BREACHED" in await row.inner_text()
            assert "ASSOC_FORWARD" in await row.inner_text()
            first = page.locator("#open-complaints tbody tr").first
            assert await first.get_attribute("data-complaint") == complaint_id  # breaches come first
            assert await page.locator("#chart-unit rect.bar").count() >= 1
            assert await page.locator("#chart-category rect.bar").count() >= 1
            await page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)  # creates the folder

            sibling = await browser.new_context(extra_http_headers={"Authorization": f"Bearer {other}"})
            elsewhere = await sibling.new_page()
            await elsewhere.goto(platform.url("reporting") + "/")
            assert await elsewhere.locator(f'tr[data-complaint="{complaint_id}"]').count() == 0

            anonymous = await (await browser.new_context()).new_page()
            signin = await anonymous.goto(platform.url("reporting") + "/")
            assert signin is not None
            assert signin.status == 401
            assert await anonymous.locator("#sign-in").count() == 1
        finally:
            await browser.close()
    assert (ARTIFACTS / "dashboard.png").stat().st_size > 10_000
