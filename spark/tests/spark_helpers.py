"""Helpers for the Spark job's tests: projects made with the CLI, failures, cosines."""

import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np

# The wheel's tests hold the CLI and model helpers; one copy of them.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "crates/python/tests"))
from atlas_cli import atlas, atlas_bin, default_model, stored_vectors  # noqa: E402,F401

SPARK_DIR = Path(__file__).resolve().parents[1]


def atlas_fails(*args: str) -> str:
    """Runs the CLI expecting failure; returns what it printed on stderr."""
    done = subprocess.run([str(atlas_bin()), *args], capture_output=True, text=True)
    assert done.returncode != 0, f"incident-atlas {' '.join(args)} succeeded:\n{done.stdout}"
    return done.stderr


def vector_count(project: Path) -> int:
    with sqlite3.connect(project / "atlas.sqlite") as db:
        return db.execute("SELECT count(*) FROM vectors").fetchone()[0]


def new_project(root: Path, csv: Path, name: str) -> Path:
    project = root / name
    atlas("init", str(project))
    atlas("--project", str(project), "ingest", str(csv), "-q")
    return project


def cosines(a: dict, b: dict) -> np.ndarray:
    assert a.keys() == b.keys()
    x = np.stack([a[k][1] for k in sorted(a)])
    y = np.stack([b[k][1] for k in sorted(a)])
    return np.sum(x * y, axis=1) / (np.linalg.norm(x, axis=1) * np.linalg.norm(y, axis=1))
