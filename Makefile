# One command to run, one to test. Everything installs into .venv from pinned requirements.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The local AWS endpoint (ministack) in its own venv: it pins botocore exactly (see local/endpoint.py).
ENDPOINT_VENV := .venv-endpoint
ENDPOINT := $(ENDPOINT_VENV)/.installed
# Where `make run` keeps its data between runs (tables, queues, executions, media); `make reset` empties it.
STATE_DIR := .local/state
# The ONNX models as the Lambdas and the local stack load them, prepared by infra/prepare_models.py.
MODELS := build/models/manifest.json
# The web app (web/, TypeScript + Preact, built by Vite); npm ci installs exactly package-lock.json.
NODE_MODULES := web/node_modules/.package-lock.json
WEB := web/dist/index.html
WEB_SOURCES := $(shell find web/src web/index.html web/vite.config.ts web/tsconfig.json -type f 2>/dev/null)

.PHONY: run reset test lint bench package deploy clean venv endpoint models web screenshots

venv: $(STAMP)

endpoint: $(ENDPOINT)

$(ENDPOINT): local/endpoint-requirements.txt
	test -x $(ENDPOINT_VENV)/bin/python || $(PYTHON) -m venv $(ENDPOINT_VENV)
	$(ENDPOINT_VENV)/bin/python -m pip install -q --disable-pip-version-check -r local/endpoint-requirements.txt
	touch $(ENDPOINT)

$(STAMP): requirements.txt requirements-dev.txt functions/frame_analyzer/requirements.txt constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

models: $(MODELS)

# Rebuilt when the source pins (requirements-dev.txt, model_files.py's digests) or the preparation change.
$(MODELS): $(STAMP) requirements-dev.txt chalicelib/core/model_files.py chalicelib/core/onnx_models.py infra/prepare_models.py
	$(PY) -m infra.prepare_models

web: $(WEB)

$(NODE_MODULES): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error

$(WEB): $(NODE_MODULES) $(WEB_SOURCES)
	cd web && npm run build

# Keeps its data in $(STATE_DIR) between runs; `make run ARGS=--fresh` (or `make reset` first) starts empty.
run: $(STAMP) $(ENDPOINT) $(MODELS) $(WEB)
	$(PY) -m local.run $(ARGS)

reset:
	rm -rf $(STATE_DIR)

test: lint $(ENDPOINT) $(MODELS) $(WEB)
	cd web && npm test
	$(PY) -m pytest

# Every screen of the web app in kk, ru and en, as PNGs in .local/screenshots/ (real Chromium, local stack):
# the candidate's path, then the proctor console (50 live sessions, a session, the review and enrollment queues).
screenshots: $(STAMP) $(ENDPOINT) $(MODELS) $(WEB)
	$(PY) -m tests.browser.screenshots
	$(PY) -m tests.browser.console_screenshots

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

bench: $(STAMP) $(ENDPOINT) $(MODELS)
	$(PY) -m benchmarks

# Deployable artifacts and templates under build/, offline (see README, On AWS).
package: $(STAMP) $(MODELS) $(WEB)
	$(PY) -m infra.package --stage $(or $(STAGE),dev)

deploy: package
	$(PY) -m infra.deploy --stage $(or $(STAGE),dev)

clean:
	rm -rf $(VENV) $(ENDPOINT_VENV) .pytest_cache build web/dist web/node_modules
