-- OAuth apps: an organization's machine clients (client credentials for /v2/token).

CREATE TABLE oauth_apps (
    sid TEXT PRIMARY KEY,
    organization_sid TEXT NOT NULL REFERENCES organizations(sid),
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_by TEXT REFERENCES users(sid),
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);
CREATE INDEX oauth_apps_organization ON oauth_apps (organization_sid, sid);
