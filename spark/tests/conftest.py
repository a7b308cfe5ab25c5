"""Lets the tests import the shared helpers (spark_helpers, and the wheel's atlas_cli)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
