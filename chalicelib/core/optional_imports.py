"""Import a library as the API's Lambda package has it: without optional dependencies the package leaves out.

openpyxl (results XLSX) and fpdf2 (statement PDFs) import numpy when it is installed, to speed up things the API
never does. The API package has no numpy, but a local virtualenv has it (for the face stack), and importing it there
would map it into the API process: locally the API must load what it loads on Lambda, no more.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def without(*optional: str) -> Iterator[None]:
    """Inside, `import <name>` of each name not imported yet raises ImportError (libraries fall back)."""
    absent = [name for name in optional if name not in sys.modules]
    for name in absent:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        for name in absent:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]
