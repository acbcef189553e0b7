#!/usr/bin/env bash
# Builds every Lambda function (mfa-login ... mfa-recover) for arm64 Lambda
# (provided.al2023 on Graviton) as a deployable zip, then prints each zip's size.
#
# Usage: scripts/package.sh
#   zips: ${CARGO_TARGET_DIR:-target}/lambda/mfa-<route>/bootstrap.zip
#
# Needs rustup, python3 and access to PyPI and the Rust toolchain server. Installs, if
# missing: cargo-lambda and zig (PyPI package ziglang, the cross linker) into the
# project's .venv at the versions pinned in scripts/requirements-infra.txt, and the
# Rust target aarch64-unknown-linux-gnu with rustup. Not part of CI.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

routes=(login activate confirm challenge verify deactivate recover)
target=aarch64-unknown-linux-gnu
lambda_dir="${CARGO_TARGET_DIR:-$root/target}/lambda"

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check \
    -c scripts/requirements-infra.txt cargo-lambda ziglang

if ! rustup target list --installed | grep -qx "$target"; then
    rustup target add "$target"
fi

# cargo-lambda finds zig through the venv's python (python -m ziglang).
export PATH="$root/.venv/bin:$PATH"

packages=()
for route in "${routes[@]}"; do
    packages+=(--package "mfa-$route")
done

start=$(date +%s)
cargo lambda build --release --arm64 --output-format zip \
    --lambda-dir "$lambda_dir" "${packages[@]}"
elapsed=$(( $(date +%s) - start ))

printf '\n%-16s %12s %14s\n' function "zip (KiB)" "bootstrap (KiB)"
for route in "${routes[@]}"; do
    zip="$lambda_dir/mfa-$route/bootstrap.zip"
    if [ ! -f "$zip" ]; then
        echo "missing: $zip" >&2
        exit 1
    fi
    zipped=$(stat -c %s "$zip")
    unzipped=$(unzip -l "$zip" | awk '$4 == "bootstrap" { print $1 }')
    printf '%-16s %12d %14d\n' "mfa-$route" $(( (zipped + 1023) / 1024 )) \
        $(( (${unzipped:-0} + 1023) / 1024 ))
done
echo "built in ${elapsed}s, zips under $lambda_dir"
