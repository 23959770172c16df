# cord-sync: every target installs what it needs into virtual environments inside the repo.
#   make demo   run the real sync end to end on the embedded default (Cord emulator + moto)
#   make test   lint, unit and handler tests, template checks
#   make serve  the front doors on http://127.0.0.1:${PORT:-3000} with the sync worker, moto and the Cord emulator
#   make bench  the benchmark (prints figures)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
SAM_VENV := .venv-sam
PY := $(VENV)/bin/python
# The layer is on the path as Lambda puts it at /opt/python; local/ holds the emulator and local runner.
LOCAL_PATH := PYTHONPATH=layers/cord_sync:local
SAM_ENV := SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing

.PHONY: help venv sam-venv lint format unit template test demo serve bench build clean

help:
	@grep -E '^#   make' Makefile | sed 's/^#   //'

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet --group test
	touch $@

$(SAM_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/pip install --quiet --group sam
	touch $@

venv: $(VENV)/.installed
sam-venv: $(SAM_VENV)/.installed

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

unit: venv
	$(PY) -m pytest

# sam validate --lint checks the SAM template as written; cfn-lint on the translated template catches
# what cfn-lint >= 1.54 no longer sees on AWS::Serverless::* resources (shared/docs/toolchain.md §3.1).
template: sam-venv
	$(SAM_ENV) $(SAM_VENV)/bin/sam validate --lint --template-file template.yaml
	mkdir -p build
	$(SAM_ENV) $(SAM_VENV)/bin/python local/sam_to_cfn.py template.yaml build/cfn.json
	$(SAM_VENV)/bin/cfn-lint -- build/cfn.json

test: lint unit template

demo: venv
	$(LOCAL_PATH) $(PY) local/demo.py $(DEMO_ARGS)

# PORT, SCIM_TOKEN, OKTA_HOOK_SECRET and WEBHOOK_SECRET pass through from the environment; SERVE_ARGS for more.
serve: venv
	$(LOCAL_PATH) $(PY) local/serve.py $(SERVE_ARGS)

bench: venv
	$(LOCAL_PATH) $(PY) local/bench.py

# sam build needs a python3.13 interpreter (pyenv has one on the development image); skipped when absent.
build: sam-venv
	@if PYENV_VERSION=3.11.7:3.13.0 python3.13 --version >/dev/null 2>&1; then \
		PYENV_VERSION=3.11.7:3.13.0 $(SAM_ENV) $(SAM_VENV)/bin/sam build; \
	else echo "python3.13 not found: skipping sam build"; fi

clean:
	rm -rf $(VENV) $(SAM_VENV) .aws-sam build .pytest_cache .ruff_cache
