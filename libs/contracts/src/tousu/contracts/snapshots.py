"""JSON Schema snapshots of the event payloads and the envelope, and the compatibility rule they enforce.

`libs/contracts/schemas/<event type>.json` holds the serialisation schema of each event type's `data`, and
`cloudevent.json` the envelope's. They are committed: a change of an event model shows up as a change of its
snapshot in review, and a contract test fails when the models and the snapshots differ (drift) or when a model
is no longer backward compatible with its committed snapshot.

Compatible: adding an optional property, adding an enum value, adding an event type. Incompatible: removing a
property or an event type, changing a property's type or format, making a property required (new or existing)
or no longer required, removing an enum value. A breaking change is a new event type (ARCHITECTURE §4).

    uv run python -m tousu.contracts.snapshots            # regenerate (refuses an incompatible change)
    uv run python -m tousu.contracts.snapshots --check    # non-zero on drift or incompatibility
"""

import argparse
import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from tousu.contracts.envelope import CloudEvent
from tousu.contracts.events import EVENT_TYPES

Schema = Mapping[str, Any]

SCHEMAS_DIR = Path(__file__).resolve().parents[3] / "schemas"
"""`libs/contracts/schemas` of the source tree."""
ENVELOPE = "cloudevent"
"""Snapshot name of the envelope (event type names always contain a dot, so it cannot clash)."""


def current_schemas() -> dict[str, dict[str, Any]]:
    """Snapshot name → the schema the code produces now."""
    schemas = {t: model.model_json_schema(mode="serialization") for t, model in sorted(EVENT_TYPES.items())}
    schemas[ENVELOPE] = CloudEvent.model_json_schema(mode="serialization")
    return schemas


def render(schema: Schema) -> str:
    return json.dumps(schema, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def read_snapshots(directory: Path = SCHEMAS_DIR) -> dict[str, dict[str, Any]]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(directory.glob("*.json"))}


# --- compatibility -------------------------------------------------------------------------------------------


def incompatibilities(old: Schema, new: Schema, where: str = "$") -> list[str]:
    """Why `new` is not backward compatible with `old` (empty: it is). Both are whole schemas ($defs inside)."""
    problems: list[str] = []
    _compare(old, new, old, new, where, problems, set())
    return problems


def catalogue_incompatibilities(old: Mapping[str, Schema], new: Mapping[str, Schema]) -> list[str]:
    """Compare every snapshot of `old` with the schema of the same name in `new`; a missing one is removed."""
    problems: list[str] = []
    for name in sorted(old):
        if name not in new:
            problems.append(f"{name}: event type removed")
            continue
        problems.extend(incompatibilities(old[name], new[name], name))
    return problems


def _resolve(node: Schema, root: Schema) -> Schema:
    for _ in range(64):
        if "$ref" in node:
            ref = str(node["$ref"])
            if not ref.startswith("#/"):
                raise ValueError(f"only local $ref is supported: {ref}")
            target: Any = root
            for part in ref[2:].split("/"):
                target = target[part]
            node = target
        elif isinstance(node.get("allOf"), list) and len(node["allOf"]) == 1:
            node = node["allOf"][0]
        else:
            return node
    raise ValueError("$ref chain too long")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _branches(node: Schema, root: Schema) -> list[Schema]:
    node = _resolve(node, root)
    for key in ("anyOf", "oneOf"):
        if isinstance(node.get(key), list):
            return [b for branch in node[key] for b in _branches(branch, root)]
    return [node]


def _types(node: Schema, root: Schema) -> frozenset[str]:
    found: set[str] = set()
    for branch in _branches(node, root):
        declared = branch.get("type")
        if isinstance(declared, str):
            found.add(declared)
        elif isinstance(declared, list):
            found.update(str(t) for t in declared)
        elif "enum" in branch:
            found.update(_json_type(v) for v in branch["enum"])
        elif "const" in branch:
            found.add(_json_type(branch["const"]))
        else:
            found.add("any")
    return frozenset(found)


def _enum(node: Schema, root: Schema) -> set[Any] | None:
    """The values a closed vocabulary allows (None: not a closed vocabulary; null is not counted)."""
    values: set[Any] = set()
    for branch in _branches(node, root):
        if "enum" in branch:
            values.update(json.dumps(v, sort_keys=True) for v in branch["enum"])
        elif "const" in branch:
            values.add(json.dumps(branch["const"], sort_keys=True))
        elif branch.get("type") != "null":
            return None
    return values or None


def _formats(node: Schema, root: Schema) -> set[str]:
    return {str(b["format"]) for b in _branches(node, root) if "format" in b}


def _pairs(old: Schema, new: Schema, oroot: Schema, nroot: Schema) -> Iterator[tuple[Schema, Schema]]:
    """Match the non-null branches of two unions by their types."""
    new_branches = [b for b in _branches(new, nroot) if b.get("type") != "null"]
    for ob in _branches(old, oroot):
        if ob.get("type") == "null":
            continue
        ot = _types(ob, oroot)
        for nb in new_branches:
            if _types(nb, nroot) == ot:
                yield ob, nb
                break


def _compare(
    old: Schema,
    new: Schema,
    oroot: Schema,
    nroot: Schema,
    path: str,
    problems: list[str],
    seen: set[tuple[int, int]],
) -> None:
    old, new = _resolve(old, oroot), _resolve(new, nroot)
    if (id(old), id(new)) in seen:
        return
    seen.add((id(old), id(new)))

    otypes, ntypes = _types(old, oroot), _types(new, nroot)
    if "any" not in otypes and otypes != ntypes:
        problems.append(f"{path}: type changed from {_show(otypes)} to {_show(ntypes)}")
        return
    oformats, nformats = _formats(old, oroot), _formats(new, nroot)
    if oformats and oformats != nformats:
        problems.append(f"{path}: format changed from {sorted(oformats)} to {sorted(nformats)}")
    oenum, nenum = _enum(old, oroot), _enum(new, nroot)
    if oenum is not None and nenum is not None and oenum - nenum:
        removed = sorted(json.loads(v) for v in oenum - nenum)
        problems.append(f"{path}: enum value(s) removed: {removed}")

    pairs = list(_pairs(old, new, oroot, nroot))
    if len(pairs) != 1 or pairs[0][0] is not old or pairs[0][1] is not new:
        for ob, nb in pairs:
            _compare(ob, nb, oroot, nroot, path, problems, seen)
        return

    if "object" in otypes:
        _compare_object(old, new, oroot, nroot, path, problems, seen)
    if "array" in otypes and isinstance(old.get("items"), Mapping) and isinstance(new.get("items"), Mapping):
        _compare(old["items"], new["items"], oroot, nroot, f"{path}[]", problems, seen)


def _compare_object(
    old: Schema,
    new: Schema,
    oroot: Schema,
    nroot: Schema,
    path: str,
    problems: list[str],
    seen: set[tuple[int, int]],
) -> None:
    oprops: Mapping[str, Schema] = old.get("properties", {})
    nprops: Mapping[str, Schema] = new.get("properties", {})
    oreq: set[str] = set(old.get("required", []))
    nreq: set[str] = set(new.get("required", []))
    for name in sorted(oprops):
        if name not in nprops:
            problems.append(f"{path}.{name}: property removed")
        else:
            _compare(oprops[name], nprops[name], oroot, nroot, f"{path}.{name}", problems, seen)
    for name in sorted(nreq - oreq):
        problems.append(f"{path}.{name}: property newly required")
    for name in sorted((oreq - nreq) & set(nprops)):
        problems.append(f"{path}.{name}: property no longer required")
    oextra, nextra = old.get("additionalProperties"), new.get("additionalProperties")
    if isinstance(oextra, Mapping) and isinstance(nextra, Mapping):
        _compare(oextra, nextra, oroot, nroot, f"{path}.*", problems, seen)


def _show(types: frozenset[str]) -> str:
    return "|".join(sorted(types))


# --- drift and the command -----------------------------------------------------------------------------------


def drift(directory: Path = SCHEMAS_DIR) -> list[str]:
    """Snapshots missing, different from the code's schema, or left over from a type the code no longer has."""
    problems: list[str] = []
    current = current_schemas()
    for name, schema in current.items():
        path = directory / f"{name}.json"
        if not path.exists():
            problems.append(f"{name}: no snapshot")
        elif path.read_text(encoding="utf-8") != render(schema):
            problems.append(f"{name}: snapshot differs from the model")
    problems.extend(f"{p.stem}: snapshot of an unknown type" for p in directory.glob("*.json") if p.stem not in current)
    return problems


def write(directory: Path = SCHEMAS_DIR, *, accept_breaking: bool = False) -> list[str]:
    """Regenerate the snapshots. Refuses (returns the problems, writes nothing) on an incompatible change."""
    current = current_schemas()
    problems = catalogue_incompatibilities(read_snapshots(directory), current) if directory.exists() else []
    if problems and not accept_breaking:
        return problems
    directory.mkdir(parents=True, exist_ok=True)
    for name, schema in current.items():
        path = directory / f"{name}.json"
        text = render(schema)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    for path in directory.glob("*.json"):
        if path.stem not in current:
            path.unlink()
    return []


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tousu.contracts.snapshots", description="JSON Schema snapshots of the event payloads"
    )
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 on drift or incompatibility")
    parser.add_argument("--accept-breaking", action="store_true", help="overwrite even an incompatible snapshot")
    parser.add_argument("--dir", type=Path, default=SCHEMAS_DIR, help="snapshot directory (default: %(default)s)")
    args = parser.parse_args(argv)
    directory: Path = args.dir

    if args.check:
        problems = catalogue_incompatibilities(read_snapshots(directory), current_schemas()) + drift(directory)
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("regenerate with: uv run python -m tousu.contracts.snapshots", file=sys.stderr)
            return 1
        print(f"{len(current_schemas())} snapshots up to date in {directory}")
        return 0

    problems = write(directory, accept_breaking=args.accept_breaking)
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        print(
            "incompatible change refused: a breaking change is a new event type (ARCHITECTURE §4); "
            "--accept-breaking overwrites anyway",
            file=sys.stderr,
        )
        return 1
    print(f"{len(current_schemas())} snapshots written to {directory}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
