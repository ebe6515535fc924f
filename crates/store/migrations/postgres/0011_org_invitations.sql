-- Invitations to become a managed user of an organization (addresses in its verified domains).

CREATE TABLE org_invitations (
    sid TEXT PRIMARY KEY,
    organization_sid TEXT NOT NULL REFERENCES organizations(sid),
    email TEXT NOT NULL,
    org_role TEXT NOT NULL CHECK (org_role IN ('administrator', 'standard_user')),
    invited_by TEXT REFERENCES users(sid),
    token_hash TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'revoked')),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX org_invitations_one_pending ON org_invitations (organization_sid, lower(email)) WHERE status = 'pending';
CREATE INDEX org_invitations_organization ON org_invitations (organization_sid, sid);
