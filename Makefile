# Timeline Studio backend. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# The distribution's python3 is enough: uv is bootstrapped into .tools/ (PEP 668 allows a private
# venv), and only when no Python 3.11 is installed (Ubuntu 24.04 ships 3.12) may uv fetch one.
BOOT_PYTHON := $(shell command -v python3 2>/dev/null || command -v python3.11 2>/dev/null)
PYTHON ?= $(shell command -v python3.11 >/dev/null 2>&1 && echo python3.11 || echo 3.11)
export UV_PYTHON_DOWNLOADS := $(if $(filter 3.11,$(PYTHON)),automatic,never)
# uv trusts the system certificate store (as pip and npm do), so proxies with their own CA work.
export UV_NATIVE_TLS ?= 1
VENV := .venv
PY := $(VENV)/bin/python
TOOLS := .tools
UV := $(shell command -v uv 2>/dev/null || ls $(HOME)/.local/bin/uv 2>/dev/null || echo $(TOOLS)/bin/uv)
PROTO_FILES := $(shell find protos/tstudio -name '*.proto' | sort)
STUBS := protos/python

.PHONY: help setup setup-runtime demo test bench bench-gateway soak deploy-check plugins-examples up protos check-protos lint typecheck check ci clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(TOOLS)/bin/uv:
	$(BOOT_PYTHON) scripts/bootstrap_uv.py --tools $(TOOLS)

setup: $(UV) ## Create .venv and install every service, tool and test dependency (idempotent)
	$(UV) sync --all-packages --frozen --python $(PYTHON) --quiet
	@[ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund --silent

setup-runtime: $(UV) ## Only what the services and the CLI need (no test/dev tools); enough for demo and up
	$(UV) sync --all-packages --frozen --no-dev --inexact --python $(PYTHON) --quiet

demo: setup-runtime ## Start NATS and the services, make demo media, render the demo timeline through the suite
	$(VENV)/bin/tstudio demo

test: setup ## Run the whole test suite (unit, servicer, integration, end-to-end)
	@scripts/debian-tools.sh chromium=chromium ffmpeg=ffmpeg
	$(VENV)/bin/pytest -q

bench: setup ## Run the benchmarks; each prints its ratio against a baseline from the same run
	@scripts/debian-tools.sh ffmpeg=ffmpeg nginx=nginx wrk=wrk
	$(PY) -m bench

soak: setup ## Load and chaos run on loopback (bounded in time); prints requests/s, p99, jobs lost, memory
	$(PY) -m soak

up: setup-runtime ## Start NATS and every service on their default ports (Ctrl-C stops them)
	$(VENV)/bin/tstudio up

protos: setup ## Regenerate the Python stubs from protos/
	rm -rf $(STUBS)/tstudio/*/
	$(PY) -m grpc_tools.protoc -Iprotos \
		--plugin=protoc-gen-mypy=$(VENV)/bin/protoc-gen-mypy \
		--plugin=protoc-gen-mypy_grpc=$(VENV)/bin/protoc-gen-mypy_grpc \
		--python_out=$(STUBS) --grpc_python_out=$(STUBS) \
		--mypy_out=$(STUBS) --mypy_grpc_out=$(STUBS) $(PROTO_FILES)
	find $(STUBS)/tstudio -type d -exec touch {}/__init__.py \;
	$(PY) -m grpc_tools.protoc -Iprotos --include_source_info --descriptor_set_out=$(STUBS)/.descriptors.tmp $(PROTO_FILES)
	$(PY) scripts/proto_comments.py $(STUBS)/.descriptors.tmp $(STUBS)/tstudio/proto_comments.json
	rm -f $(STUBS)/.descriptors.tmp

check-protos: protos ## Fail when the committed stubs differ from freshly generated ones
	@git add -N $(STUBS) && git diff --exit-code --stat -- $(STUBS) \
		|| (echo "stubs are stale: run 'make protos' and commit" >&2; exit 1)

lint: setup ## ruff and buf lint (STANDARD)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	cd protos && ../node_modules/.bin/buf lint

typecheck: setup ## mypy over libs/, services/, gateway/ and cli/
	$(VENV)/bin/mypy libs/svckit/src services/*/src gateway/src cli/src

bench-gateway: setup ## Only the gateway latency benchmark
	$(PY) -m bench gateway_latency

plugins-examples: setup ## Rebuild the example WASM plugins (C via the ziglang package, WAT)
	$(PY) plugins/examples/build.py

deploy-check: setup ## Dockerfiles (hadolint) and every kustomize overlay/component combination, validated
	$(VENV)/bin/pytest tests/deploy -q

check: lint check-protos typecheck ## Contract, style and type checks: ruff, buf lint, stub drift, mypy

ci: test check ## What CI runs (.ci/run)

clean: ## Remove the virtual environment and caches
	rm -rf $(VENV) $(TOOLS) node_modules .pytest_cache .mypy_cache .ruff_cache
