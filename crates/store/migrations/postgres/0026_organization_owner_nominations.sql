-- Self-serve transfer of an organization: the Owner's pending offer to one managed Administrator,
-- at most one per organization (the accounts' offers stay in owner_nominations).

CREATE TABLE organization_owner_nominations (
    organization_sid TEXT PRIMARY KEY REFERENCES organizations(sid),
    nominee_sid TEXT NOT NULL REFERENCES users(sid),
    nominated_by TEXT NOT NULL REFERENCES users(sid),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
