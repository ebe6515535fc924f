-- Offboarding reports, and organizations' requests to import or access accounts.

CREATE TABLE offboarding_reports (
    sid TEXT PRIMARY KEY,
    organization_sid TEXT NOT NULL REFERENCES organizations(sid),
    -- No foreign key: the report outlives nothing, but names the user only by SID.
    user_sid TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('removed', 'deleted')),
    actor TEXT NOT NULL,
    details TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX offboarding_reports_organization ON offboarding_reports (organization_sid, sid);

CREATE TABLE account_requests (
    sid TEXT PRIMARY KEY,
    organization_sid TEXT NOT NULL REFERENCES organizations(sid),
    account_sid TEXT NOT NULL REFERENCES accounts(sid),
    kind TEXT NOT NULL CHECK (kind IN ('import', 'access')),
    requested_by TEXT REFERENCES users(sid),
    status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'declined', 'cancelled', 'relinquished')),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
-- One open question per account at a time, and one standing access grant per organization.
CREATE UNIQUE INDEX account_requests_one_pending ON account_requests (account_sid) WHERE status = 'pending';
CREATE UNIQUE INDEX account_requests_access_once ON account_requests (organization_sid, account_sid)
    WHERE kind = 'access' AND status = 'accepted';
CREATE INDEX account_requests_organization ON account_requests (organization_sid, status, sid);

-- Offboarding looks these up by the departing user.
CREATE INDEX api_keys_created_by ON api_keys (created_by);
CREATE INDEX invitations_invited_by ON invitations (invited_by) WHERE status = 'pending';
CREATE INDEX org_invitations_invited_by ON org_invitations (invited_by) WHERE status = 'pending';
