"""The committed snapshots are exactly what the models produce (no drift), and the script keeps them so."""

import json
from pathlib import Path

import pytest

from tousu.contracts import snapshots
from tousu.contracts.events import EVENT_TYPES


def test_no_drift_between_models_and_committed_snapshots() -> None:
    assert snapshots.drift() == [], "regenerate: uv run python -m tousu.contracts.snapshots"


def test_check_mode_passes_on_the_committed_snapshots(capsys: pytest.CaptureFixture[str]) -> None:
    assert snapshots.main(["--check"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_one_snapshot_per_type_plus_the_envelope() -> None:
    names = {p.stem for p in snapshots.SCHEMAS_DIR.glob("*.json")}
    assert names == {*EVENT_TYPES, "cloudevent"}


def test_snapshots_are_sorted_and_indented() -> None:
    path = snapshots.SCHEMAS_DIR / "complaint.received.json"
    text = path.read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def test_write_then_check_round_trips(tmp_path: Path) -> None:
    assert snapshots.main(["--dir", str(tmp_path)]) == 0
    assert snapshots.main(["--check", "--dir", str(tmp_path)]) == 0
    assert len(list(tmp_path.glob("*.json"))) == len(EVENT_TYPES) + 1


def test_check_fails_on_drift(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snapshots.write(tmp_path)
    path = tmp_path / "sla.breached.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    schema["description"] = "edited by hand"
    path.write_text(snapshots.render(schema), encoding="utf-8")
    assert snapshots.main(["--check", "--dir", str(tmp_path)]) == 1
    assert "sla.breached: snapshot differs from the model" in capsys.readouterr().err


def test_regeneration_refuses_an_incompatible_change(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snapshots.write(tmp_path)
    # Pretend the committed snapshot had a property the model no longer has.
    path = tmp_path / "sla.met.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    schema["properties"]["gone"] = {"type": "string"}
    path.write_text(snapshots.render(schema), encoding="utf-8")

    assert snapshots.main(["--dir", str(tmp_path)]) == 1
    assert "sla.met.gone: property removed" in capsys.readouterr().err
    assert "gone" in path.read_text(encoding="utf-8"), "nothing written"
    assert snapshots.main(["--check", "--dir", str(tmp_path)]) == 1

    assert snapshots.main(["--accept-breaking", "--dir", str(tmp_path)]) == 0
    assert "gone" not in path.read_text(encoding="utf-8")


def test_a_snapshot_of_a_type_the_code_no_longer_has_is_a_removal(tmp_path: Path) -> None:
    snapshots.write(tmp_path)
    (tmp_path / "complaint.vanished.json").write_text("{}\n", encoding="utf-8")
    assert "complaint.vanished: event type removed" in snapshots.write(tmp_path)
    assert "complaint.vanished: snapshot of an unknown type" in snapshots.drift(tmp_path)
