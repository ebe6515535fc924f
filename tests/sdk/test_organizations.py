"""Twilio's official SDK (twilio==9.13.0), unchanged, against a real `gatehouse serve`: the
client-credentials token, SCIM users, accounts and role assignments of the Organizations API,
with paging over more than one page and the error cases."""

import pytest
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.credential.orgs_credential_provider import OrgsCredentialProvider
from twilio.http.orgs_token_manager import OrgTokenManager
from twilio.rest import Client
from twilio.rest.preview_iam.versionless import Versionless
from twilio.rest.preview_iam.versionless.organization.user import UserList as OrgUserList
from twilio.rest.preview_iam.versionless.role_assignment import RoleAssignmentList

from conftest import RedirectingClient, walk_both_ways

ADMIN = "IX00000000000000000000000000000102"
DEVELOPER = "IX00000000000000000000000000000103"


@pytest.fixture(scope="module")
def sdk(gatehouse):
    http = RedirectingClient(gatehouse.base)
    # The token manager builds a private Client; give it the redirecting one (reference §6).
    manager = OrgTokenManager("client_credentials", gatehouse.client_id, gatehouse.client_secret)
    manager.client = Client(http_client=http)
    provider = OrgsCredentialProvider(gatehouse.client_id, gatehouse.client_secret, token_manager=manager)
    client = Client(credential_provider=provider, http_client=http)
    return client, Versionless(client.preview_iam), http


def scim_user(email, given, family, external):
    return OrgUserList.ScimUser(
        {
            "userName": email,
            "externalId": external,
            "name": {"givenName": given, "familyName": family},
            "emails": [{"primary": True, "value": email, "type": "work"}],
            "active": True,
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        }
    )


def test_one_token_serves_many_calls(gatehouse, sdk):
    client, vl, http = sdk
    before = len([s for s in http.sent if s[2] == "/v2/token"])
    vl.users(gatehouse.org).list()
    vl.users(gatehouse.org).list()
    tokens = [s for s in http.sent if s[2] == "/v2/token"]
    assert len(tokens) - before <= 1, "the JWT's exp lets the SDK reuse it"
    assert tokens[0][1] == "oauth.twilio.com"


def test_scim_users_create_find_update_patch_delete(gatehouse, sdk):
    client, vl, _ = sdk
    created = vl.users(gatehouse.org).create(scim_user("alex@acme.test", "Alex", "Doe", "ext-1"))
    assert created.id.startswith("US") and created.user_name == "alex@acme.test"
    found = vl.users(gatehouse.org).list(filter='userName eq "alex@acme.test"')
    assert [u.id for u in found] == [created.id]
    assert vl.users(gatehouse.org).list(filter='userName eq "nobody@acme.test"') == []
    org = client.preview_iam.organization(gatehouse.org)
    fetched = org.users(created.id).fetch()
    assert fetched.external_id == "ext-1" and fetched.active is True
    with pytest.raises(TwilioRestException) as same_external:
        vl.users(gatehouse.org).create(scim_user("alexis@acme.test", "A", "D", "ext-1"))
    assert same_external.value.status == 409 and same_external.value.code == 25022
    # The core attributes Twilio's SCIM keeps come back as sent.
    localized = scim_user("kim@acme.test", "Kim", "Lo", "ext-kim")
    localized.locale, localized.timezone = "fr-FR", "Europe/Paris"
    kim = vl.users(gatehouse.org).create(localized)
    assert (kim.locale, kim.timezone) == ("fr-FR", "Europe/Paris")
    kim_again = org.users(kim.id).fetch()
    assert (kim_again.locale, kim_again.timezone) == ("fr-FR", "Europe/Paris")
    assert org.users(kim.id).delete() is True
    version = fetched.meta.version if hasattr(fetched.meta, "version") else fetched.meta["version"]
    replaced = org.users(created.id).update(
        OrgUserList.ScimUser({"userName": "alex@acme.test", "emails": [{"primary": True, "value": "alex@acme.test"}], "displayName": "Alex D.", "active": True}),
        if_match=version,
    )
    assert replaced.display_name == "Alex D."
    with pytest.raises(TwilioRestException) as stale:
        org.users(created.id).update(
            OrgUserList.ScimUser({"userName": "alex@acme.test", "active": True}), if_match='W/"1"'
        )
    assert stale.value.status == 409
    patched = org.users(created.id).patch(
        OrgUserList.ScimPatchRequest(
            {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "active", "value": False}],
            }
        )
    )
    assert patched.active is False
    with pytest.raises(TwilioRestException) as duplicate:
        vl.users(gatehouse.org).create(scim_user("alex@acme.test", "A", "D", "ext-2"))
    assert duplicate.value.status == 409 and duplicate.value.code == 20409
    with pytest.raises(TwilioRestException) as renamed:
        org.users(created.id).update(
            OrgUserList.ScimUser({"userName": "alexander@acme.test", "emails": [{"primary": True, "value": "alexander@acme.test"}], "active": False})
        )
    assert renamed.value.status == 400 and renamed.value.code == 25012
    assert org.users(created.id).fetch().user_name == "alex@acme.test"
    assert org.users(created.id).delete() is True
    with pytest.raises(TwilioRestException) as gone:
        org.users(created.id).fetch()
    assert gone.value.status == 404 and gone.value.code == 20404


def test_accounts_page_through_absolute_links(gatehouse, sdk):
    client, vl, http = sdk
    before = len(vl.accounts(gatehouse.org).list(page_size=100))
    for name in ("Second", "Third"):
        gatehouse.cli("admin", "create-account", "--organization", gatehouse.org, "--name", name, "--json")
    accounts = vl.accounts(gatehouse.org).list(page_size=1)
    assert len(accounts) == before + 2 >= 3
    assert all(a.account_sid.startswith("AC") for a in accounts)
    assert {a.status for a in accounts} <= {"active", "suspended", "closed"}
    assert len([s for s in http.sent if s[2].endswith("/Accounts")]) >= 3, "followed next_page_url"
    pages = walk_both_ways(vl.accounts(gatehouse.org).page(page_size=1), key=lambda a: a.account_sid)
    assert sum(pages, []) == [a.account_sid for a in accounts], "previous_page_url walks back"
    one = client.preview_iam.organization(gatehouse.org).accounts(accounts[0].account_sid).fetch()
    assert one.friendly_name == accounts[0].friendly_name
    with pytest.raises(TwilioRestException) as missing:
        client.preview_iam.organization(gatehouse.org).accounts("AC" + "f" * 32).fetch()
    assert missing.value.status == 404


def test_role_assignments(gatehouse, sdk):
    client, vl, _ = sdk
    user = vl.users(gatehouse.org).create(scim_user("robin@acme.test", "Robin", "Roe", "ext-3"))
    account = vl.accounts(gatehouse.org).list()[0].account_sid
    created = vl.role_assignments(gatehouse.org).create(
        RoleAssignmentList.PublicApiCreateRoleAssignmentRequest({"role_sid": DEVELOPER, "scope": account, "identity": user.id})
    )
    assert created.sid.startswith("IY") and created.role_sid == DEVELOPER
    listed = vl.role_assignments(gatehouse.org).list(identity=user.id, scope=account)
    assert [r.sid for r in listed] == [created.sid]
    others = [a.account_sid for a in vl.accounts(gatehouse.org).list() if a.account_sid != account and a.status == "active"]
    more = [
        vl.role_assignments(gatehouse.org).create(
            RoleAssignmentList.PublicApiCreateRoleAssignmentRequest({"role_sid": DEVELOPER, "scope": a, "identity": user.id})
        )
        for a in others
    ]
    pages = walk_both_ways(vl.role_assignments(gatehouse.org).page(identity=user.id, page_size=1))
    assert sorted(sum(pages, [])) == sorted([created.sid] + [m.sid for m in more])
    for m in more:
        assert client.preview_iam.organization(gatehouse.org).role_assignments(m.sid).delete() is True
    with pytest.raises(TwilioRestException) as bad:
        vl.role_assignments(gatehouse.org).create(
            RoleAssignmentList.PublicApiCreateRoleAssignmentRequest({"role_sid": "IX" + "9" * 32, "scope": account, "identity": user.id})
        )
    assert bad.value.status == 400 and bad.value.code == 25202
    # A role narrowed to a resource is refused, never granted on the whole scope.
    with pytest.raises(TwilioRestException) as narrowed:
        vl.role_assignments(gatehouse.org).create(
            RoleAssignmentList.PublicApiCreateRoleAssignmentRequest(
                {"role_sid": DEVELOPER, "scope": account, "identity": user.id, "resource_type": "phone_number", "resource_id": "PN" + "1" * 32}
            )
        )
    assert narrowed.value.status == 400 and narrowed.value.code == 20001 and "resource_type" in narrowed.value.msg
    with pytest.raises(TwilioException) as filtered:
        vl.role_assignments(gatehouse.org).list(identity=user.id, resource_type="phone_number")
    assert '"code":20001' in filtered.value.args[1].text
    assert [r.sid for r in vl.role_assignments(gatehouse.org).list(identity=user.id)] == [created.sid], "nothing was added"
    # A list page that is not 200 is TwilioException("Unable to fetch page", response) in the SDK.
    with pytest.raises(TwilioException) as neither:
        vl.role_assignments(gatehouse.org).list()
    assert '"code":25203' in neither.value.args[1].text
    assert client.preview_iam.organization(gatehouse.org).role_assignments(created.sid).delete() is True
    assert vl.role_assignments(gatehouse.org).list(identity=user.id) == []
