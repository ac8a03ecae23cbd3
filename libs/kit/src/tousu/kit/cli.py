"""`tousu`: tokens, organisations, submissions, parked messages, reports, and `tousu run` for `make run`."""

import argparse
import asyncio
import json
import os
import signal
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import yaml

from tousu.contracts import topology as names
from tousu.kit import dlq
from tousu.kit.auth import ROLES, issue_token
from tousu.kit.platform import SERVICES
from tousu.kit.settings import DEFAULT_PORTS, ServiceSettings


def _url(service: str) -> str:
    return os.environ.get(f"TOUSU_{service.upper()}_URL", f"http://127.0.0.1:{DEFAULT_PORTS[service]}")


def _token() -> str:
    token = os.environ.get("TOUSU_TOKEN")
    if not token:
        raise SystemExit("set TOUSU_TOKEN (make run prints one; `tousu token issue --role admin` makes another)")
    return token


def _client() -> httpx.Client:
    return httpx.Client(headers={"Authorization": f"Bearer {_token()}"}, timeout=30)


def _print(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def cmd_token(args: argparse.Namespace) -> int:
    settings = ServiceSettings()
    print(issue_token(settings.token_secret, args.org, args.role, ttl_s=args.ttl_days * 86400))
    return 0


def parents_first(orgs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_id = {o["id"]: o for o in orgs}
    done: set[str] = set()
    ordered: list[dict[str, Any]] = []

    def visit(org: dict[str, Any], seen: frozenset[str]) -> None:
        if org["id"] in done or org["id"] in seen:
            return
        parent = org.get("parent")
        if parent in by_id:
            visit(by_id[parent], seen | {org["id"]})
        done.add(org["id"])
        ordered.append(org)

    for org in orgs:
        visit(org, frozenset())
    return ordered


def load_orgs(path: Path, routing_url: str, token: str) -> int:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    orgs = document["orgs"] if isinstance(document, dict) else document
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        for org in parents_first(orgs):
            response = client.put(f"{routing_url}/v1/orgs/{org['id']}", json=org)
            if response.status_code >= 400:
                print(f"{org['id']}: {response.status_code} {response.text}", file=sys.stderr)
                return 1
    print(f"loaded {len(orgs)} organisations")
    return 0


def cmd_orgs_load(args: argparse.Namespace) -> int:
    return load_orgs(Path(args.file), _url("routing"), _token())


def cmd_submit(args: argparse.Namespace) -> int:
    body = json.loads(Path(args.file).read_text(encoding="utf-8"))
    key = args.idempotency_key or str(uuid.uuid4())
    with _client() as client:
        response = client.post(f"{_url('intake')}/v1/complaints", json=body, headers={"Idempotency-Key": key})
    _print(response.json())
    return 0 if response.status_code < 400 else 1


def cmd_show(args: argparse.Namespace) -> int:
    with _client() as client:
        out = {
            "complaint": client.get(f"{_url('intake')}/v1/complaints/{args.id}").json(),
            "clocks": client.get(f"{_url('sla')}/v1/complaints/{args.id}/clocks").json(),
            "timeline": client.get(f"{_url('reporting')}/v1/complaints/{args.id}/timeline").json(),
        }
    _print(out)
    return 0


def _all_queues() -> list[str]:
    return [names.service_queue(s) for s in SERVICES] + [names.ingress_queue(k) for k in names.INGRESS_QUEUES]


def cmd_dlq_list(args: argparse.Namespace) -> int:
    url = ServiceSettings().rabbitmq_url
    if args.queue:
        _print([p.__dict__ for p in asyncio.run(dlq.list_parked(url, args.queue, args.limit))])
        return 0
    for queue in _all_queues():
        count = asyncio.run(dlq.depth(url, queue))
        print(f"{names.parking_queue(queue)}\t{'-' if count is None else count}")
    return 0


def cmd_dlq_replay(args: argparse.Namespace) -> int:
    moved = asyncio.run(dlq.replay(ServiceSettings().rabbitmq_url, args.queue))
    print(f"replayed {moved} message(s) to {args.queue}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    params = {"period": args.period, "format": args.format}
    if args.org:
        params["org"] = args.org
    with _client() as client:
        response = client.get(f"{_url('reporting')}/v1/reports/{args.kind}", params=params)
    print(response.text)
    return 0 if response.status_code < 400 else 1


def cmd_run(args: argparse.Namespace) -> int:
    from tousu.kit.launcher import run_platform

    return run_platform(demo=not args.no_demo)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tousu", description="Tousu complaint platform")
    sub = p.add_subparsers(required=True)

    token = sub.add_parser("token", help="bearer tokens").add_subparsers(required=True)
    issue = token.add_parser("issue", help="print a token for an organisation and roles")
    issue.add_argument("--org", default="platform")
    issue.add_argument("--role", action="append", choices=sorted(ROLES), required=True)
    issue.add_argument("--ttl-days", type=int, default=30)
    issue.set_defaults(func=cmd_token)

    orgs = sub.add_parser("orgs", help="the organisation registry").add_subparsers(required=True)
    load = orgs.add_parser("load", help="load organisations from a YAML file into routing")
    load.add_argument("file")
    load.set_defaults(func=cmd_orgs_load)

    submit = sub.add_parser("submit", help="submit a complaint from a JSON file")
    submit.add_argument("file")
    submit.add_argument("--idempotency-key")
    submit.set_defaults(func=cmd_submit)

    show = sub.add_parser("show", help="a complaint, its clocks and its timeline")
    show.add_argument("id")
    show.set_defaults(func=cmd_show)

    parked = sub.add_parser("dlq", help="parked messages").add_subparsers(required=True)
    listing = parked.add_parser("list", help="depth of every parking queue, or the messages of one")
    listing.add_argument("queue", nargs="?")
    listing.add_argument("--limit", type=int, default=100)
    listing.set_defaults(func=cmd_dlq_list)
    again = parked.add_parser("replay", help="move a queue's parked messages back to it")
    again.add_argument("queue")
    again.set_defaults(func=cmd_dlq_replay)

    report = sub.add_parser("report", help="a report of reporting")
    report.add_argument("kind")
    report.add_argument("--period", required=True)
    report.add_argument("--org")
    report.add_argument("--format", default="json", choices=["json", "csv", "html"])
    report.set_defaults(func=cmd_report)

    run = sub.add_parser("run", help="start the five services locally (what `make run` does)")
    run.add_argument("--no-demo", action="store_true", help="do not load the demo organisations")
    run.set_defaults(func=cmd_run)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
