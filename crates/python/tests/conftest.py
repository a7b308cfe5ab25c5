"""The wheel's tests' project: a small one made with the CLI."""

from pathlib import Path

import pytest

from atlas_cli import atlas


@pytest.fixture(scope="session")
def project(tmp_path_factory) -> Path:
    """300 demo reports, encoded by the CLI with the default model (description and all
    fields), TF-IDF/LSA, and word vectors trained on them."""
    root = tmp_path_factory.mktemp("atlas")
    csv = root / "reports.csv"
    atlas("demo-data", "--rows", "300", "--seed", "11", "--out", str(csv))
    project = root / "project"
    atlas("init", str(project))
    atlas("--project", str(project), "ingest", str(csv), "-q")
    atlas("--project", str(project), "encode", "--model", "all-MiniLM-L6-v2", "-q")
    atlas("--project", str(project), "encode", "--model", "all-MiniLM-L6-v2", "--text", "all", "-q")
    atlas("--project", str(project), "encode", "--model", "tfidf-lsa", "-q")
    atlas("--project", str(project), "train", "--method", "wordvec", "--name", "wv", "--epochs", "1", "--dimension", "32", "-q")
    atlas("--project", str(project), "encode", "--model", "wv", "-q")
    return project
