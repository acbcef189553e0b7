#!/usr/bin/env bash
# Checks the infrastructure template, infra/template.yaml:
#   1. cfn-lint on the SAM template as written;
#   2. infra/check_template.py: every route of DESIGN.md section 3 bound to its
#      function, each role limited to the actions its route needs, then the SAM
#      transform (as a deploy runs it) and cfn-lint again on the plain CloudFormation.
# Usage: scripts/cfn-lint.sh        (from any directory; exits non-zero on a problem)
# Uses the project's .venv (created if missing) with the versions pinned in
# scripts/requirements-infra.txt. Needs python3 and PyPI.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check \
    -c scripts/requirements-infra.txt cfn-lint aws-sam-translator

echo "$(.venv/bin/cfn-lint --version): infra/template.yaml"
.venv/bin/cfn-lint infra/template.yaml
.venv/bin/python infra/check_template.py infra/template.yaml
echo "cfn-lint: clean"
