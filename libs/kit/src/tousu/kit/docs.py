"""`python -m tousu.kit.docs [--check]`: write (or check) docs/openapi/<service>.json,
docs/asyncapi/<service>.json.

CI fails on drift: the committed documents are what the code serves."""

import importlib
import json
import sys
from pathlib import Path
from typing import Any

from tousu.kit.asyncapi import asyncapi_document
from tousu.kit.platform import SERVICES
from tousu.kit.settings import ServiceSettings


def documents() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for service in SERVICES:
        module = importlib.import_module(f"tousu.{service}.entrypoints.app")
        app = module.create_app(ServiceSettings())
        out[f"openapi/{service}.json"] = app.openapi()
        out[f"asyncapi/{service}.json"] = asyncapi_document(module.SPEC)
    return out


def main(argv: list[str]) -> int:
    root = Path.cwd() / "docs"
    drift = []
    for name, doc in documents().items():
        path = root / name
        text = json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        if "--check" in argv:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                drift.append(name)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if drift:
        print(f"generated docs differ from docs/: {', '.join(drift)}; run `make docs`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
