"""Public Key Client Validation with Twilio's SDK (twilio==9.13.0), unchanged: public keys
registered through the Credentials API (create, a refused 1024-bit key, list, fetch, rename,
delete), then the SDK's own ValidationClient signing every request. With the account's setting on,
a signed request passes and an unsigned one, one signed with another key, or one changed after
signing is refused (70052); a signed request to an account without the setting is refused (70053).
The ValidationClient signs for the Twilio host; a transport adapter delivers its requests, Host
header untouched, to the local server."""

import json
import urllib.parse

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from twilio.base.exceptions import TwilioRestException
from twilio.http.validation_client import ValidationClient
from twilio.rest import Client

from conftest import RedirectingClient


class LocalAdapter(requests.adapters.HTTPAdapter):
    """Delivers a prepared request to the local server, keeping its Host header (which the
    signature covers); with `tamper`, changes the body after it was signed."""

    def __init__(self, base, tamper=False):
        super().__init__()
        self.local = urllib.parse.urlsplit(base)
        self.tamper = tamper

    def send(self, request, **kwargs):
        parts = urllib.parse.urlsplit(request.url)
        request.url = parts._replace(scheme=self.local.scheme, netloc=self.local.netloc).geturl()
        if self.tamper and request.body:
            request.body = request.body + "&FriendlyName=tampered"
            request.headers["Content-Length"] = str(len(request.body))
        return super().send(request, **kwargs)


def key_pair(bits=2048):
    private = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return pem, public


def signed_client(gatehouse, account, key, credential_sid, private_pem, tamper=False, auth=None):
    """A client whose requests the SDK's ValidationClient signs (as `key`); it authenticates
    with the key, or with `auth` (the account's SID and auth token)."""
    validation = ValidationClient(account, key.sid, credential_sid, private_pem)
    validation.session.mount("https://", LocalAdapter(gatehouse.base, tamper=tamper))
    username, password = auth or (key.sid, key.secret)
    return Client(username, password, account_sid=account, http_client=validation)


def require_validation(gatehouse, account, on):
    session, csrf = gatehouse.sign_in("owner@acme.test")
    body = {"require_two_factor": False, "require_https_webhooks": True, "require_public_key_validation": on}
    r = requests.put(
        f"{gatehouse.base}/api/v1/accounts/{account}/settings",
        data=json.dumps(body),
        headers={"Content-Type": "application/json", "X-CSRF-Token": csrf},
        cookies={"gh_session": session},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    assert r.json()["settings"]["require_public_key_validation"] is on


@pytest.fixture(scope="module")
def subaccount(gatehouse):
    """A subaccount of its own (its auth token and an API key), so the setting touches no other test."""
    main = gatehouse.owner["account_sid"]
    token = gatehouse.cli("admin", "rotate-auth-token", "--account", main, "--json")["auth_token"]
    main_client = Client(main, token, http_client=RedirectingClient(gatehouse.base))
    sub = main_client.api.v2010.accounts.create(friendly_name="Validated")
    client = Client(sub.sid, sub.auth_token, http_client=RedirectingClient(gatehouse.base))
    key = client.api.v2010.accounts(sub.sid).new_keys.create(friendly_name="signer")
    return sub.sid, client, key


def test_public_keys_through_the_credentials_api(subaccount):
    account, client, _ = subaccount
    _, public = key_pair()
    created = client.accounts.v1.credentials.public_key.create(public_key=public, friendly_name="ci", account_sid=account)
    assert created.sid.startswith("CR") and created.account_sid == account and created.friendly_name == "ci"
    with pytest.raises(TwilioRestException) as refused:
        client.accounts.v1.credentials.public_key.create(public_key=key_pair(1024)[1], friendly_name="short")
    assert (refused.value.status, refused.value.code) == (400, 70154)
    listed = client.accounts.v1.credentials.public_key.list()
    assert [k.sid for k in listed] == [created.sid]
    fetched = client.accounts.v1.credentials.public_key(created.sid).fetch()
    assert fetched.friendly_name == "ci" and fetched.date_created is not None
    renamed = client.accounts.v1.credentials.public_key(created.sid).update(friendly_name="ci signer")
    assert renamed.friendly_name == "ci signer"
    assert client.accounts.v1.credentials.public_key(created.sid).delete() is True
    with pytest.raises(TwilioRestException) as gone:
        client.accounts.v1.credentials.public_key(created.sid).fetch()
    assert gone.value.status == 404


def test_the_validation_client_is_required_accepted_and_tampering_refused(gatehouse, subaccount):
    account, client, key = subaccount
    private, public = key_pair()
    credential = client.accounts.v1.credentials.public_key.create(public_key=public, friendly_name="signer")
    signed = signed_client(gatehouse, account, key, credential.sid, private)
    token = (account, client.password)
    signed_token = signed_client(gatehouse, account, key, credential.sid, private, auth=token)

    # Without the setting, a signed request is refused (70053); unsigned ones work.
    with pytest.raises(TwilioRestException) as not_enabled:
        signed.api.v2010.accounts(account).fetch()
    assert (not_enabled.value.status, not_enabled.value.code) == (401, 70053)
    unsigned = Client(key.sid, key.secret, account_sid=account, http_client=RedirectingClient(gatehouse.base))
    assert unsigned.api.v2010.accounts(account).fetch().sid == account

    require_validation(gatehouse, account, True)
    try:
        # Signed requests pass: a fetch with the key, a form POST with the auth token (its body
        # is signed), iam/v1 with a query.
        assert signed.api.v2010.accounts(account).fetch().sid == account
        made = signed_token.api.v2010.accounts(account).new_keys.create(friendly_name="made signed")
        assert made.sid.startswith("SK")
        assert made.sid in [k.sid for k in signed_token.iam.v1.get_api_keys.list(account_sid=account)]
        # Unsigned, signed with a key the account did not register, or changed after signing: 70052.
        other_private, _ = key_pair()
        stranger = signed_client(gatehouse, account, key, credential.sid, other_private)
        tampered = signed_client(gatehouse, account, key, credential.sid, private, tamper=True, auth=token)
        for attempt in (
            lambda: unsigned.api.v2010.accounts(account).fetch(),
            lambda: client.api.v2010.accounts(account).fetch(),
            lambda: stranger.api.v2010.accounts(account).fetch(),
            lambda: tampered.api.v2010.accounts(account).new_keys.create(friendly_name="legit"),
        ):
            with pytest.raises(TwilioRestException) as refused:
                attempt()
            assert (refused.value.status, refused.value.code) == (401, 70052), refused.value.msg
        assert "tampered" not in [k.friendly_name for k in signed_token.iam.v1.get_api_keys.list(account_sid=account)]
    finally:
        require_validation(gatehouse, account, False)
