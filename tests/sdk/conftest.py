"""Starts a real `gatehouse serve` for the SDK suite: a fresh database (SQLite, or the
PostgreSQL URL in GATEHOUSE_SDK_DATABASE_URL), an organization made with the CLI, its domain
verified against a DNS server run here, and an OAuth app. Twilio's SDK is pointed at the server by
an HTTP client that swaps scheme and host and names the Twilio host in X-Forwarded-Host, as
`shared/reference/twilio-api.md` §6 describes."""

import os
import sys
import urllib.parse

import pytest
from twilio.http.http_client import TwilioHttpClient

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "harness"))
from gatehouse import Gatehouse  # noqa: E402


@pytest.fixture(scope="session")
def gatehouse():
    g = Gatehouse()
    g.organization()
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


def walk_both_ways(first, key=lambda r: r.sid):
    """Follows a list's next-page links from `first` to the end, then its previous-page links back
    to the start, and checks that both walks meet the same pages. Returns the pages' keys."""
    assert first.previous_page_url is None, "the first page has no previous page"
    pages = [first]
    while pages[-1].next_page_url:
        pages.append(pages[-1].next_page())
    forward = [[key(r) for r in p] for p in pages]
    backward, page = [], pages[-1]
    while page.previous_page_url:
        page = page.previous_page()
        backward.append([key(r) for r in page])
    assert list(reversed(backward)) == forward[:-1], (forward, backward)
    return forward
