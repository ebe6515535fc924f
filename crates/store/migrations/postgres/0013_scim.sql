-- SCIM provisioning: an organization's bearer tokens, and what an identity provider keeps
-- about a managed user beyond the login.

CREATE TABLE scim_tokens (
    sid TEXT PRIMARY KEY,
    organization_sid TEXT NOT NULL REFERENCES organizations(sid),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_by TEXT REFERENCES users(sid),
    created_at TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX scim_tokens_organization ON scim_tokens (organization_sid, sid);

CREATE TABLE scim_profiles (
    user_sid TEXT PRIMARY KEY REFERENCES users(sid),
    organization_sid TEXT NOT NULL REFERENCES organizations(sid),
    external_id TEXT,
    given_name TEXT,
    family_name TEXT
);
-- externalId is unique within an organization (a duplicate is SCIM's 409 uniqueness).
CREATE UNIQUE INDEX scim_profiles_external_id ON scim_profiles (organization_sid, external_id)
    WHERE external_id IS NOT NULL;

CREATE TABLE groups (
    sid TEXT PRIMARY KEY,
    organization_sid TEXT NOT NULL REFERENCES organizations(sid),
    display_name TEXT NOT NULL,
    external_id TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX groups_organization ON groups (organization_sid, sid);
CREATE UNIQUE INDEX groups_external_id ON groups (organization_sid, external_id) WHERE external_id IS NOT NULL;

CREATE TABLE group_members (
    group_sid TEXT NOT NULL REFERENCES groups(sid) ON DELETE CASCADE,
    user_sid TEXT NOT NULL REFERENCES users(sid),
    PRIMARY KEY (group_sid, user_sid)
);
CREATE INDEX group_members_user ON group_members (user_sid);
