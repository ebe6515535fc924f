"""Runs schemathesis (pinned in .ci/requirements.txt) against the native API of a real
`gatehouse serve`, from the OpenAPI document the server publishes: every operation, every check
(response schemas, status codes, content types, negative and positive data, auth), once with an
API key and once with a signed-in session (writes carrying its CSRF token). Path parameters name
the organization, account and owner that exist, so operations reach their logic instead of
answering 404. Any failure fails the run. The database is SQLite, or the PostgreSQL URL in
GATEHOUSE_SDK_DATABASE_URL."""

import base64
import json
import os
import subprocess
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "harness"))
from gatehouse import PASSWORD, Gatehouse  # noqa: E402

ST = os.path.join(os.path.dirname(sys.executable), "st")


def managed_user(g, email):
    """A second managed user (made over SCIM), so that operations on `{user}` (reset password,
    offboarding) do not end the Owner's own session."""
    token = g.cli("admin", "create-scim-token", "--organization", g.org, "--name", "fixtures", "--json")["token"]
    body = json.dumps({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": email}).encode()
    request = urllib.request.Request(
        f"{g.base}/scim/v2/Users",
        data=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"},
    )
    with urllib.request.urlopen(request) as r:
        return json.loads(r.read())["id"]


def run(base, name, headers, parameters, extra):
    config = os.path.join(tempfile.mkdtemp(prefix="gatehouse-st-"), "schemathesis.toml")
    with open(config, "w") as f:
        with open(os.path.join(os.path.dirname(__file__), "expected_422.toml")) as expected:
            f.write(expected.read() + "\n")
        f.write("[headers]\n")
        for k, v in headers.items():
            f.write(f'"{k}" = "{v}"\n')
        f.write("[parameters]\n")
        for k, v in parameters.items():
            f.write(f'"{k}" = "{v}"\n')
    args = [
        ST, "--config-file", config, "run", f"{base}/openapi.json", "--url", f"{base}/api/v1",
        "--checks", "all", "--max-examples", os.environ.get("ST_MAX_EXAMPLES", "25"),
        "--generation-deterministic", "--workers", "1", "--no-color", *extra,
    ]
    print(f"==> schemathesis with {name}", flush=True)
    # Run beside the config: schemathesis keeps its cache (`.schemathesis/`) in its directory.
    return subprocess.run(args, check=False, cwd=os.path.dirname(config)).returncode


def main():
    g = Gatehouse()
    owner = g.organization()
    key = g.cli("admin", "create-api-key", "--account", owner["account_sid"], "--name", "schemathesis", "--json")
    g.start()
    failed = False
    try:
        parameters = {
            "path.sid": owner["account_sid"],
            "path.org": g.org,
            "path.user": managed_user(g, "dana@acme.test"),
        }
        basic = f"{key['sid']}:{key['secret']}"
        auth = {"Authorization": "Basic " + base64.b64encode(basic.encode()).decode()}
        failed |= run(g.base, "an API key", auth, parameters, sys.argv[1:]) != 0
        session, csrf = g.sign_in("owner@acme.test")
        cookie = {"Cookie": f"gh_session={session}", "X-CSRF-Token": csrf}
        # The organization's settings come last: requiring two-factor authentication there sends
        # the Owner's session to set it up (409) for everything after.
        settings = ["--include-path", "/orgs/{org}/settings", "--include-method", "PUT"]
        rest = ["--exclude-path", "/orgs/{org}/settings"]
        owner_session = "a signed-in session (the organization's Owner)"
        failed |= run(g.base, owner_session, cookie, parameters, rest + sys.argv[1:]) != 0
        failed |= run(g.base, owner_session + ", settings last", cookie, parameters, settings + sys.argv[1:]) != 0
    finally:
        g.stop()
    if failed:
        sys.exit(1)
    print("schemathesis: no failure with either credential")


if __name__ == "__main__":
    main()
