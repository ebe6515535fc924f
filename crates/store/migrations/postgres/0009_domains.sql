-- Organization domains, proven by a DNS TXT record. A verified name belongs to one organization.

CREATE TABLE domains (
    sid TEXT PRIMARY KEY,
    organization_sid TEXT NOT NULL REFERENCES organizations(sid),
    name TEXT NOT NULL,
    token TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'verified', 'failed')),
    verified_at TIMESTAMPTZ,
    checked_at TIMESTAMPTZ,
    last_error TEXT,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX domains_once_per_organization ON domains (organization_sid, name);
CREATE UNIQUE INDEX domains_verified_once ON domains (name) WHERE status = 'verified';
