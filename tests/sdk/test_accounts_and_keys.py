"""Twilio's SDK (twilio==9.13.0), unchanged, on the 2010 API and iam/v1 of a real `gatehouse
serve`: subaccounts (create, list with filters over several pages, fetch, rename, suspend,
reactivate, close) with `AC…:auth token`, keys (create with the secret once, list, fetch, rename,
delete; then authenticating with `SK…:secret`), iam/v1 keys, role permissions, account OAuth apps
(their bearer tokens acting for the account), previous-page links, and the error cases."""

import json

import pytest
import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from conftest import RedirectingClient, walk_both_ways


@pytest.fixture(scope="module")
def main_account(gatehouse):
    account = gatehouse.owner["account_sid"]
    token = gatehouse.cli("admin", "rotate-auth-token", "--account", account, "--json")["auth_token"]
    return account, token


def client_for(gatehouse, username, password, account_sid=None):
    return Client(username, password, account_sid=account_sid, http_client=RedirectingClient(gatehouse.base))


def test_subaccounts(gatehouse, main_account):
    account, token = main_account
    client = client_for(gatehouse, account, token)
    subs = [client.api.v2010.accounts.create(friendly_name=f"Sub {i}") for i in range(3)]
    assert all(s.sid.startswith("AC") and s.owner_account_sid == account for s in subs)
    assert subs[0].auth_token and len(subs[0].auth_token) == 32, "shown when it is made"
    default = client.api.v2010.accounts.create()
    assert default.friendly_name.startswith("SubAccount Created at ")
    everyone = client.api.v2010.accounts.list(page_size=2)
    assert len(everyone) == 5 and everyone[0].sid == account, "the account itself, then its subaccounts"
    one_by_one = client.api.v2010.accounts.list(page_size=1)
    assert [a.sid for a in one_by_one] == [a.sid for a in everyone], "pages of one follow the same order"
    # Previous-page links walk back over the same pages, the main account first.
    for size in (1, 2):
        pages = walk_both_ways(client.api.v2010.accounts.page(page_size=size))
        assert sum(pages, []) == [a.sid for a in everyone]
    only = client.api.v2010.accounts.list(friendly_name="Sub 1")
    assert [a.sid for a in only] == [subs[1].sid]
    # A subaccount's own token works for it.
    sub_client = client_for(gatehouse, subs[0].sid, subs[0].auth_token)
    assert sub_client.api.v2010.accounts(subs[0].sid).fetch().friendly_name == "Sub 0"
    renamed = client.api.v2010.accounts(subs[1].sid).update(friendly_name="Renamed")
    assert renamed.friendly_name == "Renamed"
    key = client.api.v2010.accounts(subs[1].sid).new_keys.create(friendly_name="before suspension")
    assert client.api.v2010.accounts(subs[1].sid).update(status="suspended").status == "suspended"
    assert [a.sid for a in client.api.v2010.accounts.list(status="suspended")] == [subs[1].sid]
    # Every credential of a suspended account is 401 with Twilio's 20005, on 2010 and iam/v1.
    own_token = client_for(gatehouse, subs[1].sid, subs[1].auth_token)
    own_key = client_for(gatehouse, key.sid, key.secret, account_sid=subs[1].sid)
    for call in (
        lambda: own_token.api.v2010.accounts(subs[1].sid).fetch(),
        lambda: own_key.api.v2010.accounts(subs[1].sid).fetch(),
        lambda: own_key.iam.v1.api_key(key.sid).fetch(),
    ):
        with pytest.raises(TwilioRestException) as inactive:
            call()
        assert inactive.value.status == 401 and inactive.value.code == 20005, inactive.value
    # A list page that is not 200 is TwilioException("Unable to fetch page", response) in the SDK.
    for client_of_suspended in (own_token, own_key):
        with pytest.raises(TwilioException) as inactive_list:
            client_of_suspended.iam.v1.get_api_keys.list(account_sid=subs[1].sid)
        response = inactive_list.value.args[1]
        assert response.status_code == 401 and '"code":20005' in response.text
    assert client.api.v2010.accounts(subs[1].sid).update(status="active").status == "active"
    assert own_key.api.v2010.accounts(subs[1].sid).fetch().status == "active", "reactivated, the key works again"
    assert client.api.v2010.accounts(subs[2].sid).update(status="closed").status == "closed"
    closed = client_for(gatehouse, subs[2].sid, subs[2].auth_token)
    with pytest.raises(TwilioRestException) as gone:
        closed.api.v2010.accounts(subs[2].sid).fetch()
    assert gone.value.status == 401 and gone.value.code == 20005
    with pytest.raises(TwilioRestException) as missing:
        client.api.v2010.accounts("AC" + "f" * 32).fetch()
    assert missing.value.status == 404 and missing.value.code == 20404
    with pytest.raises(TwilioRestException) as wrong:
        client_for(gatehouse, account, "0" * 32).api.v2010.accounts(account).fetch()
    assert wrong.value.status == 401


def test_keys(gatehouse, main_account):
    account, token = main_account
    client = client_for(gatehouse, account, token)
    created = client.api.v2010.account.new_keys.create(friendly_name="k1")
    assert created.sid.startswith("SK") and len(created.secret) == 32
    listed = client.api.v2010.account.keys.list()
    assert created.sid in [k.sid for k in listed]
    second = client.api.v2010.account.new_keys.create(friendly_name="k-second")
    paged = [k.sid for k in client.api.v2010.account.keys.list(page_size=1)]
    assert {created.sid, second.sid} <= set(paged) and len(paged) == len(set(paged)), "paged by PageToken"
    third = client.api.v2010.account.new_keys.create(friendly_name="k-third")
    pages = walk_both_ways(client.api.v2010.account.keys.page(page_size=1))
    assert len(pages) >= 3 and {created.sid, second.sid, third.sid} <= set(sum(pages, []))
    iam_pages = walk_both_ways(client.iam.v1.get_api_keys.page(account_sid=account, page_size=1))
    assert sum(iam_pages, []) == sum(pages, []), "iam/v1 pages the same keys"
    assert client.api.v2010.account.keys(third.sid).delete() is True
    assert client.api.v2010.account.keys(second.sid).delete() is True
    assert client.api.v2010.account.keys(created.sid).fetch().friendly_name == "k1"
    assert client.api.v2010.account.keys(created.sid).update(friendly_name="k2").friendly_name == "k2"
    # The key authenticates, acting for its account.
    with_key = client_for(gatehouse, created.sid, created.secret, account_sid=account)
    assert with_key.api.v2010.accounts.list(page_size=1)[0].sid == account
    assert client.api.v2010.account.keys(created.sid).delete() is True
    with pytest.raises(TwilioRestException) as revoked:
        with_key.api.v2010.accounts(account).fetch()
    assert revoked.value.status == 401


def test_iam_keys(gatehouse, main_account):
    account, token = main_account
    client = client_for(gatehouse, account, token)
    created = client.iam.v1.new_api_key.create(account_sid=account, friendly_name="iam-key")
    assert created.sid.startswith("SK") and created.secret
    listed = client.iam.v1.get_api_keys.list(account_sid=account)
    assert created.sid in [k.sid for k in listed]
    assert client.iam.v1.api_key(created.sid).fetch().friendly_name == "iam-key"
    assert client.iam.v1.api_key(created.sid).update(friendly_name="renamed").friendly_name == "renamed"
    assert client.iam.v1.api_key(created.sid).delete() is True
    with pytest.raises(TwilioRestException) as gone:
        client.iam.v1.api_key(created.sid).fetch()
    assert gone.value.status == 404


def test_role_permissions(gatehouse, main_account):
    account, token = main_account
    client = client_for(gatehouse, account, token)
    developer = client.iam.v1.role_permission("IX00000000000000000000000000000103").list()
    names = {f"{p.product}.{p.resource}.{p.action}" for p in developer}
    assert "api_keys.api_keys.manage" in names and "billing.billing.read" not in names, names
    assert all(p.sid.startswith("IZ") and p.namespace == "gatehouse" and p.external_description for p in developer)
    owner = client.iam.v1.role_permission("IX00000000000000000000000000000101")
    pages = walk_both_ways(owner.page(page_size=4))
    assert len(pages) >= 3 and sum(pages, []) == [p.sid for p in owner.list()], "paged both ways"
    with pytest.raises(TwilioException) as unknown:
        client.iam.v1.role_permission("IX" + "9" * 32).list()
    assert unknown.value.args[1].status_code == 404 and '"code":20404' in unknown.value.args[1].text


def test_account_oauth_apps(gatehouse, main_account):
    from twilio.rest.iam.v1.o_auth_app import OAuthAppList

    account, token = main_account
    client = client_for(gatehouse, account, token)
    created = client.iam.v1.o_auth_apps.create(
        OAuthAppList.IamV1AccountVendorOauthAppCreateRequest(
            {"type": "client_credentials", "friendly_name": "deployer", "description": "CD pipeline", "access_token_ttl": 600}
        )
    )
    assert created.sid.startswith("OQ") and len(created.secret) >= 32 and created.access_token_ttl == 600
    assert (created.friendly_name, created.description, created.status) == ("deployer", "CD pipeline", "active")
    # Its client-credentials token acts for the account on the 2010 and iam/v1 APIs.
    grant = {"grant_type": "client_credentials", "client_id": created.sid, "client_secret": created.secret}
    issued = requests.post(f"{gatehouse.base}/v2/token", data=grant).json()
    assert issued["expires_in"] == 600
    bearer = {"Authorization": f"Bearer {issued['access_token']}"}
    as_app = requests.get(f"{gatehouse.base}/2010-04-01/Accounts/{account}.json", headers=bearer)
    assert as_app.status_code == 200 and as_app.json()["sid"] == account
    listed = requests.get(f"{gatehouse.base}/2010-04-01/Accounts.json", headers=bearer)
    assert listed.status_code == 200 and listed.json()["accounts"][0]["sid"] == account
    # What an API key may not do, the app may not either (ADR 0013): it lists no keys.
    keys = requests.get(f"{gatehouse.base}/v1/Keys", params={"AccountSid": account}, headers=bearer)
    assert keys.status_code == 403 and keys.json()["code"] == 20403
    assert requests.get(f"{gatehouse.base}/Organizations/{gatehouse.org}/Accounts", headers=bearer).status_code == 401
    # Fetch (Twilio's SDK has no fetch of an app), update, and the refusals.
    fetched = requests.get(f"{gatehouse.base}/v1/Account/OAuthApps/{created.sid}", auth=(account, token)).json()
    assert fetched["description"] == "CD pipeline" and "secret" not in fetched
    updated = client.iam.v1.o_auth_apps(created.sid).update(
        OAuthAppList.IamV1AccountVendorOauthAppUpdateRequest({"friendly_name": "deployer 2", "access_token_ttl": 300})
    )
    assert (updated.friendly_name, updated.access_token_ttl, updated.description) == ("deployer 2", 300, "CD pipeline")
    for refused in (
        {"friendly_name": "limited", "policy": {"allow": ["twilio/voice/calls/read"]}},
        {"friendly_name": "pkce", "token_endpoint_auth_method": "none"},
        {"friendly_name": "long", "access_token_ttl": 86400},
    ):
        with pytest.raises(TwilioRestException) as bad:
            client.iam.v1.o_auth_apps.create(OAuthAppList.IamV1AccountVendorOauthAppCreateRequest(refused))
        assert bad.value.status == 400 and bad.value.code == 20001, refused
    # Deleting it stops its tokens at once.
    assert client.iam.v1.o_auth_apps(created.sid).delete() is True
    assert requests.get(f"{gatehouse.base}/2010-04-01/Accounts/{account}.json", headers=bearer).status_code == 401
    with pytest.raises(TwilioRestException) as gone:
        client.iam.v1.o_auth_apps(created.sid).delete()
    assert gone.value.status == 404


def test_unknown_paths_answer_twilio_errors(gatehouse, main_account):
    account, token = main_account
    client = client_for(gatehouse, account, token)
    for url in (
        "https://api.twilio.com/2010-04-01/Accounts/Nope.xml",
        "https://api.twilio.com/2010-04-01/Nothing.json",
        "https://iam.twilio.com/v1/Nothing",
        "https://oauth.twilio.com/v2/Nothing",
        f"https://preview-iam.twilio.com/Organizations/{gatehouse.org}/Nothing",
    ):
        response = client.request("GET", url)
        assert response.status_code == 404, url
        body = json.loads(response.text)
        assert body["code"] == 20404 and body["status"] == 404 and body["more_info"].endswith("/20404"), url
