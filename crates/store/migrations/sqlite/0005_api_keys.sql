-- API keys (secrets stored as HMAC-SHA256 under the instance key) and instance secrets.

CREATE TABLE api_keys (
    sid TEXT PRIMARY KEY,
    account_sid TEXT NOT NULL REFERENCES accounts(sid),
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_by TEXT REFERENCES users(sid),
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);
CREATE INDEX api_keys_account ON api_keys (account_sid, sid);
CREATE INDEX api_keys_creator ON api_keys (created_by);

-- Keys that belong to this installation, not to a tenant (e.g. the API-key hash key).
CREATE TABLE instance_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
