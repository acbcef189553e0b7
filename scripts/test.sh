#!/usr/bin/env bash
# The project's test command: installs the pinned test tools into .venv, starts a
# local DynamoDB/SSM API server (moto) on a free loopback port, builds the function
# binaries, runs the Rust tests against it and stops it, whatever the tests do.
#
#   bash scripts/test.sh                  # the template checks, then cargo test --workspace --all-targets
#   bash scripts/test.sh -- -p pryv-mfa --test store_contract   # these cargo args instead
#
# Needs python3 (3.11+, with venv) and cargo; network only for PyPI on first run.
# The server's log is kept in $CARGO_TARGET_DIR/test-servers/ (or target/).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
REQUIREMENTS="$ROOT/scripts/requirements-test.txt"
LOG_DIR="${CARGO_TARGET_DIR:-$ROOT/target}/test-servers"
SERVER_WAIT_SECONDS=30
MOTO_PID=""

say() { echo "test.sh: $*" >&2; }

# Creates .venv and installs the pinned requirements, again only when they changed.
setup_python() {
  if [[ ! -x "$VENV/bin/python" ]]; then
    say "creating $VENV"
    python3 -m venv "$VENV"
  fi
  local stamp="$VENV/.requirements.sha256" wanted
  wanted="$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)"
  if [[ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]]; then
    say "installing test tools from ${REQUIREMENTS#"$ROOT/"}"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
    echo "$wanted" >"$stamp"
  fi
}

free_port() {
  "$VENV/bin/python" - <<'PY'
import socket
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
PY
}

# Starts moto on 127.0.0.1 and waits until it accepts connections.
start_moto() {
  local port log="$LOG_DIR/moto.log"
  mkdir -p "$LOG_DIR"
  port="$(free_port)"
  "$VENV/bin/python" "$ROOT/scripts/moto_server.py" --port "$port" >"$log" 2>&1 &
  MOTO_PID=$!
  local deadline=$((SECONDS + SERVER_WAIT_SECONDS))
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    if ! kill -0 "$MOTO_PID" 2>/dev/null || ((SECONDS >= deadline)); then
      say "moto did not start on 127.0.0.1:$port; end of $log:"
      tail -n 20 "$log" >&2 || true
      exit 1
    fi
    sleep 0.2
  done
  export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$port"
  export AWS_ENDPOINT_URL_SSM="http://127.0.0.1:$port"
  say "moto answers on 127.0.0.1:$port (log: $log)"
}

stop_servers() {
  if [[ -n "$MOTO_PID" ]]; then
    kill "$MOTO_PID" 2>/dev/null || true
    wait "$MOTO_PID" 2>/dev/null || true
    MOTO_PID=""
  fi
}

# Dummy credentials and a fixed region: the SDK must never look for real ones.
use_test_aws_environment() {
  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
  export AWS_EC2_METADATA_DISABLED=true
  unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL
  export MFA_TEST_DYNAMODB=1
}

# The Lambda runtime tests run the function binaries themselves: build them first,
# with the tests' profile and target dir, so that nothing is built twice.
build_function_binaries() {
  say "building the function binaries"
  cargo build --workspace --bins
}

run_cargo_tests() {
  local status=0
  if (($# > 0)); then
    cargo test "$@" || status=$?
  else
    cargo test --workspace --all-targets || status=$?
  fi
  return "$status"
}

# The infrastructure template: cfn-lint and the route and policy checks.
check_infra() {
  bash "$ROOT/scripts/cfn-lint.sh"
}

# Pryv's JavaScript library, for the real-client test.
setup_node() {
  bash "$ROOT/scripts/install-node-deps.sh"
}

main() {
  if [[ "${1:-}" == "--" ]]; then shift; fi
  cd "$ROOT"
  setup_python
  setup_node
  # The whole run also checks the infrastructure; a run of chosen cargo args does not.
  if (($# == 0)); then check_infra; fi
  trap stop_servers EXIT
  # Turn signals into an exit so that the EXIT trap stops the server.
  trap 'exit 130' INT TERM
  use_test_aws_environment
  start_moto
  build_function_binaries
  local status=0
  run_cargo_tests "$@" || status=$?
  exit "$status"
}

main "$@"
