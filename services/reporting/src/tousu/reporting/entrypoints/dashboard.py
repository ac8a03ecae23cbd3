"""The operator dashboard at `/` (CONTRACT §8): server-rendered HTML with inline SVG charts, no script from elsewhere.

A browser cannot send a bearer header on navigation, so the page also takes the token from the `tousu_token` cookie,
which its sign-in form sets. What it shows follows the token's place in the hierarchy, as every read does.
"""

import html
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from tousu.kit.auth import AuthError, Principal, verify_token
from tousu.kit.http import Caller, Runtime
from tousu.reporting.service_layer import queries

router = APIRouter(tags=["dashboard"])
COOKIE = "tousu_token"

STYLE = """
body{font-family:system-ui,sans-serif;margin:0;background:#f5f6f8;color:#222}
header{background:#1f3a5f;color:#fff;padding:.8em 1.5em}header h1{margin:0;font-size:1.3em}
main{padding:1em 1.5em;display:grid;grid-template-columns:1fr 1fr;gap:1em}
section{background:#fff;border-radius:6px;padding:.8em 1em;box-shadow:0 1px 2px #0002}
section.wide{grid-column:1/3}h2{font-size:1.05em;margin:.2em 0 .6em}
table{border-collapse:collapse;width:100%;font-size:.9em}td,th{border-bottom:1px solid #e3e3e3;padding:.3em .4em;
text-align:left;vertical-align:top}th{background:#fafafa}
tr.breached{background:#fde2e1}tr.breached td.left{color:#b00020;font-weight:bold}
.badge{display:inline-block;padding:0 .4em;border-radius:3px;font-size:.8em;background:#ddd}
.badge.breached{background:#b00020;color:#fff}.badge.running{background:#2e7d32;color:#fff}
.tiles{display:flex;gap:1em}.tile{flex:1;background:#fff;border-radius:6px;padding:.6em 1em;box-shadow:0 1px 2px #0002}
.tile b{font-size:1.6em;display:block}
"""


def _caller(request: Request, runtime: Any) -> Principal | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    raw = token.strip() if scheme.lower() == "bearer" else request.cookies.get(COOKIE, "")
    if not raw:
        return None
    try:
        return verify_token(runtime.settings.token_secret, raw)
    except AuthError:
        return None


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def time_left(seconds: int | None) -> str:
    if seconds is None:
        return ""
    days, rest = divmod(abs(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    text = f"{days}d {hours}h" if days else (f"{hours}h {minutes}m" if hours else f"{minutes}m")
    return f"overdue {text}" if seconds < 0 else text


def bars(counts: dict[str, int], id_: str, title: str) -> str:
    """A horizontal bar chart as inline SVG."""
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:12]
    top = max((n for _, n in items), default=0) or 1
    height = 22 * len(items) + 10
    parts = []
    for i, (label, n) in enumerate(items):
        y, w = 5 + 22 * i, int(260 * n / top)
        parts.append(
            f'<text x="0" y="{y + 14}" font-size="12">{_e(label)[:28]}</text>'
            f'<rect class="bar" x="190" y="{y}" width="{w}" height="16" fill="#3b6ea5"><title>{_e(label)}: {n}</title>'
            f'</rect><text x="{196 + w}" y="{y + 13}" font-size="11">{n}</text>'
        )
    return (
        f'<svg id="{id_}" role="img" aria-label="{_e(title)}" width="100%" height="{height}" '
        f'viewBox="0 0 500 {height}">{"".join(parts)}</svg>'
    )


def trend(by_day: dict[str, int]) -> str:
    days = list(by_day.items())
    top = max((n for _, n in days), default=0) or 1
    step = 480 / max(1, len(days) - 1)
    points = " ".join(f"{10 + i * step:.1f},{110 - 100 * n / top:.1f}" for i, (_, n) in enumerate(days))
    first, last = (days[0][0], days[-1][0]) if days else ("", "")
    return (
        f'<svg id="chart-trend" role="img" aria-label="complaints per day" width="100%" height="130" '
        f'viewBox="0 0 500 130"><polyline fill="none" stroke="#3b6ea5" stroke-width="2" points="{points}"/>'
        f'<text x="10" y="126" font-size="11">{_e(first)}</text><text x="420" y="126" font-size="11">{_e(last)}</text>'
        f'<text x="10" y="12" font-size="11">max {top}/day</text></svg>'
    )


def render(data: dict[str, Any]) -> str:
    rows = []
    for c in data["open"]:
        clocks = "<br>".join(
            f'<span class="badge {_e(k["state"])}">{_e(k["stage"])}</span> {_e(k["owner_unit"])} '
            f"due {_e(k['due_at'])} ({_e(time_left(k['seconds_left']))})"
            for k in c["clocks"]
        )
        rows.append(
            f'<tr class="{"breached" if c["breached"] else "open"}" data-complaint="{_e(c["complaint_id"])}">'
            f"<td>{_e(c['reference'])}</td><td>{_e(c['regime'])}</td><td>{_e(c['category'])}</td>"
            f'<td>{_e(c["owner_unit"])}</td><td>{clocks}</td><td class="left">{_e(time_left(c["seconds_left"]))}'
            f"{' BREACHED' if c['breached'] else ''}</td><td>{c['escalations']}</td></tr>"
        )
    escalations = "".join(
        f"<tr><td>{_e(e['at'])}</td><td>{_e(e['reference'])}</td><td>{_e(e['stage'])}</td>"
        f"<td>{_e(e['level'])}</td><td>{_e(e['target_unit'])}</td><td>{_e(e['reason'])}</td></tr>"
        for e in data["escalations"]
    )
    sanctions = "".join(
        f"<tr><td>{_e(s['imposed_at'])}</td><td>{_e(s['kind'])}</td><td>{_e(s['target_org'])}</td>"
        f"<td>{_e(s['rule'])}</td></tr>"
        for s in data["sanctions"]
    )
    by_unit, by_category = data["by_unit"], data["by_category"]
    now = data["now"][:19].replace("T", " ")
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Tousu — operator dashboard</title>
<meta http-equiv="refresh" content="30"><style>{STYLE}</style></head><body>
<header><h1>Tousu operator dashboard</h1><div>{_e(data["org"])} · business time {_e(now)} +08:00</div></header>
<main>
<div class="tiles wide" style="grid-column:1/3">
<div class="tile" id="tile-open"><b>{data["open_total"]}</b>open complaints</div>
<div class="tile" id="tile-breached"><b>{data["breached_total"]}</b>breached</div>
<div class="tile" id="tile-escalations"><b>{len(data["escalations"])}</b>recent escalations</div>
<div class="tile" id="tile-sanctions"><b>{len(data["sanctions"])}</b>active sanctions</div>
</div>
<section class="wide"><h2>Open complaints, most urgent first</h2>
<table id="open-complaints"><thead><tr><th>reference</th><th>regime</th><th>category</th><th>owner</th>
<th>clocks</th><th>time left</th><th>escalations</th></tr></thead><tbody>{"".join(rows)}</tbody></table></section>
<section><h2>Last 30 days by unit</h2>{bars(by_unit, "chart-unit", "complaints by unit")}</section>
<section><h2>Last 30 days by category</h2>{bars(by_category, "chart-category", "complaints by category")}</section>
<section class="wide"><h2>Complaints per day</h2>{trend(data["by_day"])}</section>
<section><h2>Escalations</h2><table id="escalations"><thead><tr><th>at</th><th>reference</th><th>stage</th>
<th>level</th><th>to</th><th>reason</th></tr></thead><tbody>{escalations}</tbody></table></section>
<section><h2>Active sanctions</h2><table id="sanctions"><thead><tr><th>imposed</th><th>kind</th><th>target</th>
<th>rule</th></tr></thead><tbody>{sanctions}</tbody></table></section>
</main></body></html>"""


SIGN_IN = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Tousu — sign in</title>
<style>{STYLE}</style></head><body><header><h1>Tousu operator dashboard</h1></header><main><section class="wide">
<h2>Sign in with your bearer token</h2><form id="sign-in"><input id="token" type="password" size="60"
autocomplete="off"> <button type="submit">Open</button></form></section></main>
<script>document.getElementById('sign-in').addEventListener('submit',function(e){{e.preventDefault();
document.cookie='{COOKIE}='+encodeURIComponent(document.getElementById('token').value)+';path=/;SameSite=Strict';
location.reload();}});</script></body></html>"""


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def page(request: Request, runtime: Runtime) -> HTMLResponse:
    caller = _caller(request, runtime)
    if caller is None:
        return HTMLResponse(SIGN_IN, status_code=401)
    async with runtime.unit_of_work() as uow:
        data = await queries.dashboard(uow, caller, runtime.clock.now())
    return HTMLResponse(render(data))


@router.get("/v1/dashboard", tags=["reporting"])
async def dashboard_data(caller: Caller, runtime: Runtime) -> dict[str, Any]:
    """The dashboard's figures as JSON."""
    async with runtime.unit_of_work() as uow:
        return await queries.dashboard(uow, caller, runtime.clock.now())
