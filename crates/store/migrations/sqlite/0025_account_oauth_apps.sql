-- OAuth apps belong to an organization (the Organizations API) or to an account (Twilio's
-- iam/v1 Account/OAuthApps: tokens that act for the account as its API keys do), never both;
-- each has a description and the lifetime of the tokens it obtains. SQLite cannot drop a NOT
-- NULL constraint, so the table is rebuilt (no table refers to it).
CREATE TABLE oauth_apps_owned (
    sid TEXT PRIMARY KEY,
    organization_sid TEXT REFERENCES organizations(sid),
    account_sid TEXT REFERENCES accounts(sid),
    name TEXT NOT NULL,
    description TEXT,
    secret_hash TEXT NOT NULL,
    access_token_ttl INTEGER NOT NULL DEFAULT 3600,
    created_by TEXT REFERENCES users(sid),
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT,
    CHECK ((organization_sid IS NULL) <> (account_sid IS NULL))
);
INSERT INTO oauth_apps_owned (sid, organization_sid, name, secret_hash, created_by, created_at, last_used_at, revoked_at)
    SELECT sid, organization_sid, name, secret_hash, created_by, created_at, last_used_at, revoked_at FROM oauth_apps;
DROP TABLE oauth_apps;
ALTER TABLE oauth_apps_owned RENAME TO oauth_apps;
CREATE INDEX oauth_apps_organization ON oauth_apps (organization_sid, sid);
CREATE INDEX oauth_apps_account ON oauth_apps (account_sid, sid);
CREATE INDEX oauth_apps_created_by ON oauth_apps (created_by);
