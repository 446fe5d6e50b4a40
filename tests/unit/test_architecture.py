"""The import graph keeps its shape: core knows no context, contexts depend one way, the analyzer stays lean."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from benchmarks.cold_start import API_ENV  # the settings the API reads at start, as measured there
from tests.paths import REPO_ROOT

# Lowest first. A context may import only contexts listed before it; core imports nothing but core.
LAYERS = ("core", "identity", "agencies", "exam", ("violations", "media"), "proctor", "billing")
# The edge sits above every context: HTTP routes, request parsing for them, and the composition root.
EDGE_MODULES = {"chalicelib.wiring", "chalicelib.health"}
EDGE_SUFFIXES = (".routes",)


def rank(context: str) -> int:
    return next(i for i, layer in enumerate(LAYERS) if context == layer or context in layer)


def context_of(module: str) -> str | None:
    """The context a chalicelib module belongs to; None for the edge and for anything outside chalicelib."""
    parts = module.split(".")
    if parts[0] != "chalicelib" or module in EDGE_MODULES or module.endswith(EDGE_SUFFIXES) or len(parts) < 3:
        return None
    return parts[1]


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, at module level or inside functions (lazy imports count too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def context_edges() -> set[tuple[str, str, str]]:
    """(importing context, imported context, importing module) for every cross-context import in chalicelib."""
    edges = set()
    for path in (REPO_ROOT / "chalicelib").rglob("*.py"):
        module = ".".join(path.relative_to(REPO_ROOT).with_suffix("").parts).removesuffix(".__init__")
        source = context_of(module)
        if source is None:
            continue
        for imported in imports_of(path):
            target = context_of(imported) if imported.startswith("chalicelib.") else None
            if imported in ("chalicelib.wiring", "chalicelib.health"):
                target = "edge"
            if target is not None and target != source:
                edges.add((source, target, module))
    return edges


def test_core_imports_no_context_and_nothing_imports_the_edge_but_the_edge():
    offending = sorted(
        (module, target) for source, target, module in context_edges() if source == "core" or target == "edge"
    )
    assert offending == []


def test_contexts_depend_one_way_only():
    upward = sorted(
        (module, target)
        for source, target, module in context_edges()
        if target != "edge" and rank(target) >= rank(source)
    )
    assert upward == [], "a context imports one at its own level or above: " + repr(upward)


def test_the_context_graph_has_no_cycle():
    graph: dict[str, set[str]] = {}
    for source, target, _ in context_edges():
        graph.setdefault(source, set()).add(target)

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(
            nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})) for nxt in graph.get(start, ())
        )

    assert [context for context in graph if reaches(context, context, set())] == []


def test_the_analyzer_handler_loads_no_api_only_code():
    # A fresh interpreter, so nothing another test imported can hide an import.
    probe = (
        "import sys, functions.frame_analyzer.handler\n"
        "banned = ('jwt', 'chalicelib.exam.catalog', 'chalicelib.exam.bank_import', 'chalicelib.exam.requests',\n"
        "          'chalicelib.identity.passwords', 'chalicelib.identity.tokens', 'chalicelib.identity.enrollment')\n"
        "print(sorted(m for m in sys.modules if m in banned))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_api_never_imports_the_face_stack():
    # The API package carries no OpenCV, ONNX Runtime, numpy or Pillow (requirements.txt): importing the app, building
    # every service its routes use (the identity check's included) and answering routes must not need them.
    probe = (
        "import sys\n"
        "import app\n"
        "from chalice.test import Client\n"
        "from chalicelib import wiring\n"
        "from chalicelib.identity import enrollment, routes\n"
        "for getter in (wiring.tokens, wiring.authenticator, wiring.accounts, wiring.login_throttle,\n"
        "               wiring.exam_catalog, wiring.exam_sessions, wiring.progression, wiring.channel,\n"
        "               wiring.media_uploads, wiring.enrollment, wiring.biometric_erasure):\n"
        "    getter()\n"
        "with Client(app.app) as client:\n"
        "    for method, path in (('POST', '/exams/e1/enrollment/verify'), ('GET', '/exams/e1/enrollment'),\n"
        "                         ('GET', '/proctor/enrollments?exam_id=e1'), ('GET', '/me/exams')):\n"
        "        answer = client.http.request(method, path, body=b'{}', headers={'Content-Type': 'application/json'})\n"
        "        assert answer.status_code == 401, (path, answer.status_code)\n"
        "face = ('cv2', 'onnxruntime', 'numpy', 'PIL', 'chalicelib.identity.face_engine',\n"
        "        'chalicelib.identity.face_detector', 'chalicelib.identity.quality',\n"
        "        'chalicelib.identity.identity_check')\n"
        "print(sorted(m for m in sys.modules if m in face or m.split('.')[0] in face))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PROCTOR_"))}
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**env, **API_ENV},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_the_api_requirements_hold_no_face_stack():
    from tests.unit.test_requirements import names

    api = set(names(REPO_ROOT / "requirements.txt"))
    assert api.isdisjoint({"opencv-python-headless", "onnxruntime", "numpy", "pillow"}), api
    checker = set(names(REPO_ROOT / "functions" / "identity_checker" / "requirements.txt"))
    assert {"opencv-python-headless", "onnxruntime", "numpy", "pillow"} <= checker
    assert "pyjwt" not in checker


def test_the_rules_see_a_violation_when_there_is_one(tmp_path):
    # The graph helpers must notice an upward import, or the tests above could never fail.
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from chalicelib.exam.models import SessionRecord\n\ndef f():\n    import chalicelib.proctor.monitoring\n"
    )
    assert {"chalicelib.exam.models", "chalicelib.proctor.monitoring"} <= imports_of(bad)
    assert rank("exam") < rank("violations") == rank("media") < rank("proctor")
    assert context_of("chalicelib.exam.routes") is None and context_of("chalicelib.core.api") == "core"
