# Entry points for developers and CI. Run `make help` for the list.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
VENV_PYTHON := $(VENV)/bin/python
# Written after a successful `pip install`, so the install reruns only when a
# requirements file changes.
VENV_STAMP := $(VENV)/.k3smc-requirements

STACK ?= dev
# Local state backend unless the caller chose one (e.g. an s3:// bucket).
PULUMI_BACKEND_URL ?= file://$(HOME)/.pulumi-local
export PULUMI_BACKEND_URL
PYTEST_ARGS ?=

.PHONY: help venv apt test up preview destroy

help:
	@echo "make test              create $(VENV) if missing, install Debian packages, run pytest"
	@echo "make up STACK=dev      deploy the stack (local state in ~/.pulumi-local by default)"
	@echo "make preview STACK=dev show what 'make up' would change"
	@echo "make destroy STACK=dev remove everything the stack created"
	@echo "make e2e               build the tool cache if needed, run the end-to-end test (root)"
	@echo "make e2e-bench         time pulumi up on 1 and 6 local test hosts (root)"

venv: $(VENV_STAMP)

$(VENV_STAMP): requirements.txt requirements-dev.txt
	@test -x $(VENV_PYTHON) || $(PYTHON) -m venv $(VENV)
	$(VENV_PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

apt:
	scripts/install-apt-packages.sh

test: venv apt
	$(VENV_PYTHON) -m pytest $(PYTEST_ARGS)

# The dev stack's secrets use this documented passphrase; every other stack
# needs PULUMI_CONFIG_PASSPHRASE from the caller.
ifeq ($(STACK),dev)
PULUMI_CONFIG_PASSPHRASE ?= k3s-multicloud-dev
export PULUMI_CONFIG_PASSPHRASE
endif

define select_stack
	@mkdir -p $(HOME)/.pulumi-local
	pulumi stack select --create $(STACK) --secrets-provider passphrase
endef

up: venv
	$(select_stack)
	pulumi up --stack $(STACK)

preview: venv
	$(select_stack)
	pulumi preview --diff --stack $(STACK)

destroy: venv
	$(select_stack)
	pulumi destroy --stack $(STACK)

# ---------------------------------------------------------------------------
# End-to-end test on local test hosts (docs/e2e.md). Needs root. The first
# scripts/build-tools.sh run builds the Pulumi CLI and plugins into
# ~/.cache/k3s-multicloud (about 30 minutes on 2 cores); later runs reuse it.
.PHONY: e2e e2e-bench

e2e: venv apt
	scripts/build-tools.sh
	$(VENV_PYTHON) -m tests.e2e

e2e-bench: venv apt
	scripts/build-tools.sh
	$(VENV_PYTHON) -m benchmarks.e2e_up
