#!/usr/bin/env bash
# The benchmark command: builds the functions, the local server and mfa-bench in
# release mode, starts the local DynamoDB API server (moto, as scripts/test.sh does),
# runs mfa-bench, prints its markdown and writes it to bench/RESULTS.md.
#
#   bash bench/run.sh
#
# Needs cargo, python3 (3.11+, with venv) and wrk (installed with apt-get if
# missing). Loopback only; network only for apt and PyPI on first run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
REQUIREMENTS="$ROOT/scripts/requirements-test.txt"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
LOG_DIR="$TARGET/test-servers"
MOTO_PID=""
PACKAGES=(-p mfa-login -p mfa-activate -p mfa-confirm -p mfa-challenge -p mfa-verify
  -p mfa-deactivate -p mfa-recover -p mfa-local -p mfa-bench)

say() { echo "run.sh: $*" >&2; }

install_wrk() {
  if ! command -v wrk >/dev/null; then
    say "installing wrk"
    apt-get update -qq && apt-get install -y -qq wrk >/dev/null
  fi
}

# The same pinned moto as the tests, in the same .venv.
setup_python() {
  if [[ ! -x "$VENV/bin/python" ]]; then
    python3 -m venv "$VENV"
  fi
  if ! "$VENV/bin/python" -c "import moto" 2>/dev/null; then
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
  fi
}

start_moto() {
  local port log="$LOG_DIR/moto-bench.log"
  mkdir -p "$LOG_DIR"
  port="$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  "$VENV/bin/python" "$ROOT/scripts/moto_server.py" --port "$port" >"$log" 2>&1 &
  MOTO_PID=$!
  local deadline=$((SECONDS + 30))
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    if ! kill -0 "$MOTO_PID" 2>/dev/null || ((SECONDS >= deadline)); then
      say "moto did not start; see $log"
      exit 1
    fi
    sleep 0.2
  done
  export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$port"
  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
  export AWS_EC2_METADATA_DISABLED=true
  unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL
}

stop_moto() {
  if [[ -n "$MOTO_PID" ]]; then
    kill "$MOTO_PID" 2>/dev/null || true
    wait "$MOTO_PID" 2>/dev/null || true
  fi
}

main() {
  cd "$ROOT"
  install_wrk
  setup_python
  say "building release binaries (thin LTO: the first build is long)"
  cargo build --release "${PACKAGES[@]}"
  trap stop_moto EXIT
  trap 'exit 130' INT TERM
  start_moto
  "$TARGET/release/mfa-bench" | tee "$ROOT/bench/RESULTS.md.new"
  mv "$ROOT/bench/RESULTS.md.new" "$ROOT/bench/RESULTS.md"
}

main "$@"
