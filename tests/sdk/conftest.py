"""Starts a real `gatehouse serve` for the SDK suite: a fresh database (SQLite, or the
PostgreSQL URL in GATEHOUSE_SDK_DATABASE_URL), an organization made with the CLI, its domain
verified against a DNS server run here, and an OAuth app. Twilio's SDK is pointed at the server by
an HTTP client that swaps scheme and host and names the Twilio host in X-Forwarded-Host, as
`shared/reference/twilio-api.md` §6 describes."""

import json
import os
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

import pytest
from twilio.http.http_client import TwilioHttpClient

from dns_server import TxtServer

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("GATEHOUSE_BIN", os.path.join(ROOT, "target", "debug", "gatehouse"))
PASSWORD = "correct horse battery staple"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gatehouse:
    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="gatehouse-sdk-")
        self.database_url = os.environ.get("GATEHOUSE_SDK_DATABASE_URL") or f"sqlite://{self.tmp}/sdk.db"
        self.dns = TxtServer()
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.config = os.path.join(self.tmp, "gatehouse.toml")
        with open(self.config, "w") as f:
            f.write(
                f'listen = "127.0.0.1:{port}"\n'
                f'database_url = "{self.database_url}"\n'
                f'public_url = "{self.base}"\n'
                f"[dns]\nresolver = \"127.0.0.1:{self.dns.port}\"\n"
            )
        self.env = dict(os.environ, GATEHOUSE_CONFIG=self.config)
        self.env.pop("TWILIO_ACCOUNT_SID", None)
        self.env.pop("TWILIO_AUTH_TOKEN", None)
        self.process = None

    def cli(self, *args, stdin=None):
        out = subprocess.run([BIN, *args], env=self.env, input=stdin, capture_output=True, text=True, check=False)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    def start(self):
        self.log = open(os.path.join(self.tmp, "serve.log"), "w")
        self.process = subprocess.Popen([BIN, "serve"], env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(200):
            try:
                with urllib.request.urlopen(f"{self.base}/readyz", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"gatehouse serve did not start; see {self.log.name}")

    def stop(self):
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture(scope="session")
def gatehouse():
    g = Gatehouse()
    owner = g.cli(
        "admin", "create-owner", "--email", "owner@acme.test", "--org-name", "Acme", "--password-stdin", "--json",
        stdin=PASSWORD + "\n",
    )
    g.org = owner["organization_sid"]
    g.owner = owner
    domain = g.cli("admin", "add-domain", "--organization", g.org, "--name", "acme.test", "--json")
    g.dns.set(domain["record_name"], [domain["record_value"]])
    verified = g.cli("admin", "verify-domain", "--organization", g.org, "--name", "acme.test", "--json")
    assert verified["status"] == "verified", verified
    app = g.cli("admin", "create-oauth-app", "--organization", g.org, "--name", "sdk", "--json")
    g.client_id, g.client_secret = app["client_id"], app["client_secret"]
    g.start()
    yield g
    g.stop()


class RedirectingClient(TwilioHttpClient):
    """Sends every SDK request to the local server, keeping path and query, and names the
    Twilio host it was meant for in X-Forwarded-Host. Records what it sent."""

    def __init__(self, base, **kwargs):
        super().__init__(**kwargs)
        self.local = urllib.parse.urlsplit(base)
        self.sent = []

    def request(self, method, url, params=None, data=None, headers=None, auth=None, timeout=None, allow_redirects=False):
        parts = urllib.parse.urlsplit(url)
        headers = dict(headers or {})
        headers["X-Forwarded-Host"] = parts.netloc
        local = parts._replace(scheme=self.local.scheme, netloc=self.local.netloc).geturl()
        self.sent.append((method, parts.netloc, parts.path))
        return super().request(method, local, params, data, headers, auth, timeout, allow_redirects)
