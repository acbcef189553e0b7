#!/usr/bin/env python3
"""Checks infra/template.yaml against the API of DESIGN.md section 3 and the
least-privilege rules, beyond what cfn-lint knows.

1. Every route of the API is bound (POST) to its own function, and no other route
   exists; each function builds its own binary (mfa-<route>).
2. Each function's role allows only: writing to its own log group, the DynamoDB
   actions its route needs on the MFA table, ssm:GetParameter on the configuration
   parameter, and kms:Decrypt through SSM for that parameter.
3. The SAM transform (aws-sam-translator, as `sam deploy` runs it) succeeds, its
   HTTP API has exactly those routes, and cfn-lint passes on the transformed template.

Usage: check_template.py infra/template.yaml   (run by scripts/cfn-lint.sh)
Exits non-zero with one line per problem.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import tempfile

from cfnlint.decode import cfn_yaml

# DESIGN.md section 3: route -> (function, paths). All POST; OPTIONS is answered by
# the HTTP API's CORS configuration.
ROUTES = {
    "login": ["/{username}/auth/login", "/{username}/login"],
    "activate": ["/{username}/mfa/activate"],
    "confirm": ["/{username}/mfa/confirm"],
    "challenge": ["/{username}/mfa/challenge"],
    "verify": ["/{username}/mfa/verify"],
    "deactivate": ["/{username}/mfa/deactivate"],
    "recover": ["/{username}/mfa/recover"],
}

# The store operations each route performs, as DynamoDB actions. A transaction
# (TransactWriteItems) is authorised per underlying action: confirm's "delete the
# session and put the profile" needs DeleteItem and PutItem, no ConditionCheckItem.
DYNAMODB_ACTIONS = {
    "login": {"GetItem", "PutItem", "UpdateItem"},
    "activate": {"GetItem", "PutItem", "UpdateItem"},
    "confirm": {"GetItem", "UpdateItem", "DeleteItem", "PutItem"},
    "challenge": {"GetItem", "UpdateItem"},
    "verify": {"GetItem", "UpdateItem", "DeleteItem"},
    "deactivate": {"DeleteItem", "GetItem", "UpdateItem"},
    "recover": {"DeleteItem", "GetItem", "UpdateItem"},
}

OTHER_ACTIONS = {
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "ssm:GetParameter",
    "kms:Decrypt",
}

PARAMETER_ARN = (
    "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}"
    ":parameter${ConfigParameterName}"
)


def logical(route: str, kind: str) -> str:
    return route.capitalize() + kind


def as_list(value):
    return value if isinstance(value, list) else [value]


def check_source(tpl: dict) -> list[str]:
    problems: list[str] = []
    resources = tpl.get("Resources", {})

    functions = {
        name
        for name, res in resources.items()
        if res.get("Type") == "AWS::Serverless::Function"
    }
    expected_functions = {logical(r, "Function") for r in ROUTES}
    if functions != expected_functions:
        problems.append(
            f"functions {sorted(functions)} differ from {sorted(expected_functions)}"
        )

    bound: dict[tuple[str, str], str] = {}
    for name in functions:
        for event in resources[name].get("Properties", {}).get("Events", {}).values():
            if event.get("Type") != "HttpApi":
                problems.append(f"{name}: event of type {event.get('Type')}")
                continue
            props = event.get("Properties", {})
            if props.get("ApiId") != {"Ref": "MfaApi"}:
                problems.append(f"{name}: event not on MfaApi")
            key = (str(props.get("Method", "")).upper(), props.get("Path"))
            if key in bound:
                problems.append(f"{key} bound twice ({bound[key]}, {name})")
            bound[key] = name
    expected_bound = {
        ("POST", path): logical(route, "Function")
        for route, paths in ROUTES.items()
        for path in paths
    }
    if bound != expected_bound:
        missing = set(expected_bound.items()) - set(bound.items())
        extra = set(bound.items()) - set(expected_bound.items())
        problems.append(f"routes: missing {sorted(missing)}, unexpected {sorted(extra)}")

    for route in ROUTES:
        fn = resources.get(logical(route, "Function"), {})
        binary = fn.get("Metadata", {}).get("BuildProperties", {}).get("Binary")
        if fn.get("Metadata", {}).get("BuildMethod") != "rust-cargolambda":
            problems.append(f"{route}: BuildMethod is not rust-cargolambda")
        if binary != f"mfa-{route}":
            problems.append(f"{route}: builds {binary!r}, not mfa-{route}")
        role_ref = fn.get("Properties", {}).get("Role")
        if role_ref != {"Fn::GetAtt": [logical(route, "Role"), "Arn"]}:
            problems.append(f"{route}: function does not use its own role")
        if "Policies" in fn.get("Properties", {}):
            problems.append(f"{route}: SAM Policies would add a second, broader role")
        problems += check_role(route, resources.get(logical(route, "Role"), {}))
    return problems


def check_role(route: str, role: dict) -> list[str]:
    problems: list[str] = []
    props = role.get("Properties", {})
    if props.get("ManagedPolicyArns"):
        problems.append(f"{route}: role has managed policies")
    allowed = {f"dynamodb:{a}" for a in DYNAMODB_ACTIONS[route]} | OTHER_ACTIONS
    seen: set[str] = set()
    for policy in props.get("Policies", []):
        for st in as_list(policy.get("PolicyDocument", {}).get("Statement", [])):
            if st.get("Effect") != "Allow" or "NotAction" in st or "NotResource" in st:
                problems.append(f"{route}: statement is not a plain Allow")
            actions = set(as_list(st.get("Action", [])))
            seen |= actions
            for action in sorted(actions - allowed):
                problems.append(f"{route}: action {action} not needed")
            resource = st.get("Resource")
            if resource == "*" or (isinstance(resource, list) and "*" in resource):
                problems.append(f"{route}: Resource '*' for {sorted(actions)}")
            if any(a.startswith("dynamodb:") for a in actions):
                if resource != {"Fn::GetAtt": ["MfaTable", "Arn"]}:
                    problems.append(f"{route}: DynamoDB actions not on the table ARN")
            if "ssm:GetParameter" in actions and resource != {"Fn::Sub": PARAMETER_ARN}:
                problems.append(f"{route}: ssm:GetParameter not on the parameter ARN")
            if "kms:Decrypt" in actions:
                cond = st.get("Condition", {}).get("StringEquals", {})
                via = cond.get("kms:ViaService")
                context = cond.get("kms:EncryptionContext:PARAMETER_ARN")
                if via != {"Fn::Sub": "ssm.${AWS::Region}.amazonaws.com"}:
                    problems.append(f"{route}: kms:Decrypt without kms:ViaService ssm")
                if context != {"Fn::Sub": PARAMETER_ARN}:
                    problems.append(f"{route}: kms:Decrypt not bound to the parameter")
            if any(a.startswith("logs:") for a in actions):
                if resource != {"Fn::GetAtt": [logical(route, "LogGroup"), "Arn"]}:
                    problems.append(f"{route}: logs not on its own log group")
    for action in sorted(allowed - seen):
        problems.append(f"{route}: action {action} missing")
    return problems


def check_transformed(tpl: dict, cfn_lint: str) -> list[str]:
    """Runs the SAM transform as a deploy would (after `sam package` put the code in
    S3), then checks the generated API and lints the plain CloudFormation result."""
    from samtranslator.translator.transform import transform

    class NoManagedPolicies:
        def load(self):
            return {}

    packaged = copy.deepcopy(tpl)
    packaged["Globals"]["Function"]["CodeUri"] = "s3://example-bucket/mfa.zip"
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    try:
        out = transform(json.loads(json.dumps(packaged)), {}, NoManagedPolicies())
    except Exception as err:  # the translator raises its own exception types
        return [f"SAM transform failed: {err}"]

    problems: list[str] = []
    body = out["Resources"]["MfaApi"]["Properties"]["Body"]
    routes: dict[tuple[str, str], str] = {}
    for path, methods in body.get("paths", {}).items():
        for method, op in methods.items():
            uri = op["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]
            target = uri.split("${")[-1].split(".Arn}")[0]
            routes[(method.upper(), path)] = target
    expected = {
        ("POST", path): logical(route, "Function")
        for route, paths in ROUTES.items()
        for path in paths
    }
    if routes != expected:
        problems.append(f"transformed API routes {sorted(routes.items())} differ")
    cors = body.get("x-amazon-apigateway-cors", {})
    if cors.get("allowOrigins") != ["*"]:
        problems.append(f"CORS origins {cors.get('allowOrigins')} (default is '*')")
    if sorted(cors.get("allowMethods", [])) != ["OPTIONS", "POST"]:
        problems.append(f"CORS methods {cors.get('allowMethods')}")
    if sorted(h.lower() for h in cors.get("allowHeaders", [])) != [
        "authorization",
        "content-type",
    ]:
        problems.append(f"CORS headers {cors.get('allowHeaders')}")
    for name, res in out["Resources"].items():
        if res["Type"] == "AWS::IAM::Role" and not name.endswith("Role"):
            problems.append(f"SAM generated an extra role {name}")

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(out, f)
        path = f.name
    try:
        # W2001 (unused parameter): the transform already put the values of the
        # parameters it resolves (here CorsAllowOrigin) into the API body.
        lint = subprocess.run(
            [cfn_lint, "--ignore-checks", "W2001", "--", path],
            capture_output=True,
            text=True,
        )
    finally:
        os.unlink(path)
    if lint.returncode != 0:
        problems.append("cfn-lint on the transformed template:\n" + lint.stdout)
    return problems


def main() -> int:
    path = sys.argv[1] if len(sys.argv) > 1 else "infra/template.yaml"
    cfn_lint = os.path.join(os.path.dirname(sys.executable), "cfn-lint")
    tpl = json.loads(json.dumps(cfn_yaml.load(path)))
    problems = check_source(tpl) + check_transformed(tpl, cfn_lint)
    for p in problems:
        print(f"template check: {p}", file=sys.stderr)
    if problems:
        return 1
    n = sum(len(p) for p in ROUTES.values())
    print(f"template check: {n} routes on {len(ROUTES)} functions, roles least-privilege: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
