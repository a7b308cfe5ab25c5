"""Helpers shared by the wheel's tests and the Spark job's: the CLI binary, the installed
default model, and the vectors a project stores (the reference every vector is compared
with)."""

import os
import sqlite3
import subprocess
from pathlib import Path

import numpy as np


def atlas_bin() -> Path:
    """The CLI the test suite built (ATLAS_BIN_DIR, else the default target folder)."""
    folder = os.environ.get("ATLAS_BIN_DIR") or os.path.join(
        os.environ.get("CARGO_TARGET_DIR", str(Path.home() / ".cache/incident-atlas/target")), "debug"
    )
    path = Path(folder) / "incident-atlas"
    assert path.is_file(), f"{path} is missing; run ./scripts/test.sh (it builds the CLI)"
    return path


def models_dir() -> Path:
    if os.environ.get("INCIDENT_ATLAS_MODELS"):
        return Path(os.environ["INCIDENT_ATLAS_MODELS"])
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local/share")
    return Path(data) / "incident-atlas/models"


def default_model() -> Path:
    path = models_dir() / "all-MiniLM-L6-v2"
    assert (path / "model.safetensors").is_file(), f"the default model is not installed in {path}"
    return path


def atlas(*args: str) -> str:
    done = subprocess.run([str(atlas_bin()), *args], capture_output=True, text=True)
    assert done.returncode == 0, f"incident-atlas {' '.join(args)} failed:\n{done.stderr}"
    return done.stdout


def stored_vectors(project: Path, model: str):
    """External id -> (text fields, stored vector) for one model of a project."""
    with sqlite3.connect(project / "atlas.sqlite") as db:
        rows = db.execute(
            "SELECT i.external_id, i.description, i.causes, i.actions, v.vector, m.dimension "
            "FROM vectors v JOIN incidents i ON i.id = v.incident_id JOIN models m ON m.id = v.model_id "
            "WHERE m.name = ? ORDER BY i.id",
            (model,),
        ).fetchall()
    return {
        r[0]: ((r[1], r[2], r[3]), np.frombuffer(r[4], dtype="<f4").reshape(r[5]))
        for r in rows
    }
