"""Where the test data lives: the shared dev datasets sit beside the repository."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
FACES_DIR = REPO_ROOT.parent / "shared" / "datasets" / "faces"
