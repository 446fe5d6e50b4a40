# One command to run, one to test. Everything installs into .venv from pinned requirements.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint bench package deploy clean venv

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt functions/frame_analyzer/requirements.txt constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m local.run

test: lint
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

bench: $(STAMP)
	$(PY) -m benchmarks

# Deployable artifacts and templates under build/, offline (see README, On AWS).
package: $(STAMP)
	$(PY) -m infra.package --stage $(or $(STAGE),dev)

deploy: package
	$(PY) -m infra.deploy --stage $(or $(STAGE),dev)

clean:
	rm -rf $(VENV) .pytest_cache build
