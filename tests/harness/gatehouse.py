"""A real `gatehouse serve` for the suites that drive it from outside (Twilio's SDK, the public
SCIM suites): a fresh database (SQLite, or the PostgreSQL URL in GATEHOUSE_SDK_DATABASE_URL), the
CLI to set it up, and a DNS server run here so that domains can be verified."""

import http.cookiejar
import json
import os
import re
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

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

    def sign_in(self, email):
        """Signs in through the form; returns the session cookie and the session's CSRF token."""
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = opener.open(f"{self.base}/signin").read().decode()
        form = {"email": email, "password": PASSWORD}
        token = re.search(r'name="csrf" value="([^"]+)"', page)
        if token:
            form["csrf"] = token.group(1)
        opener.open(f"{self.base}/signin", data=urllib.parse.urlencode(form).encode())
        session = next(c.value for c in jar if c.name == "gh_session")
        page = opener.open(f"{self.base}/accounts").read().decode()
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        return session, csrf

    def organization(self, domain="acme.test"):
        """Creates the first owner and their organization, and verifies `domain` for it."""
        owner = self.cli(
            "admin", "create-owner", "--email", f"owner@{domain}", "--org-name", "Acme", "--password-stdin", "--json",
            stdin=PASSWORD + "\n",
        )
        self.org = owner["organization_sid"]
        self.owner = owner
        added = self.cli("admin", "add-domain", "--organization", self.org, "--name", domain, "--json")
        self.dns.set(added["record_name"], [added["record_value"]])
        verified = self.cli("admin", "verify-domain", "--organization", self.org, "--name", domain, "--json")
        assert verified["status"] == "verified", verified
        return owner
