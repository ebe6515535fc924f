-- Foundation: organizations, users, accounts, roles, role assignments, audit, sessions, setup.
-- Times are UTC, stored as TIMESTAMPTZ; ids are SIDs as text.

CREATE TABLE organizations (
    sid TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE users (
    sid TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    password_hash TEXT,
    status TEXT NOT NULL CHECK (status IN ('active', 'deactivated', 'deleted')),
    organization_sid TEXT REFERENCES organizations(sid),
    last_login_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
-- Emails are stored normalised; the index on lower() also guards direct SQL writes.
CREATE UNIQUE INDEX users_email_unique ON users (lower(email));
CREATE INDEX users_organization ON users (organization_sid);

CREATE TABLE accounts (
    sid TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'closed')),
    organization_sid TEXT REFERENCES organizations(sid),
    parent_sid TEXT REFERENCES accounts(sid),
    require_two_factor BOOLEAN NOT NULL,
    require_https_webhooks BOOLEAN NOT NULL,
    require_public_key_validation BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX accounts_organization ON accounts (organization_sid);
CREATE INDEX accounts_parent ON accounts (parent_sid);

CREATE TABLE roles (
    sid TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    scope_kind TEXT NOT NULL CHECK (scope_kind IN ('account', 'organization')),
    organization_sid TEXT REFERENCES organizations(sid),
    builtin BOOLEAN NOT NULL
);
INSERT INTO roles (sid, name, scope_kind, organization_sid, builtin) VALUES
    ('IX00000000000000000000000000000101', 'Owner', 'account', NULL, TRUE),
    ('IX00000000000000000000000000000102', 'Administrator', 'account', NULL, TRUE),
    ('IX00000000000000000000000000000103', 'Developer', 'account', NULL, TRUE),
    ('IX00000000000000000000000000000104', 'Billing Manager', 'account', NULL, TRUE),
    ('IX00000000000000000000000000000105', 'Support', 'account', NULL, TRUE),
    ('IX00000000000000000000000000000106', 'Viewer', 'account', NULL, TRUE),
    ('IX00000000000000000000000000000201', 'Organization Owner', 'organization', NULL, TRUE),
    ('IX00000000000000000000000000000202', 'Organization Administrator', 'organization', NULL, TRUE),
    ('IX00000000000000000000000000000203', 'Standard User', 'organization', NULL, TRUE);

CREATE TABLE role_assignments (
    sid TEXT PRIMARY KEY,
    role_sid TEXT NOT NULL REFERENCES roles(sid),
    user_sid TEXT NOT NULL REFERENCES users(sid) ON DELETE CASCADE,
    account_sid TEXT REFERENCES accounts(sid) ON DELETE CASCADE,
    organization_sid TEXT REFERENCES organizations(sid) ON DELETE CASCADE,
    scope_sid TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    CHECK ((account_sid IS NULL) <> (organization_sid IS NULL)),
    CHECK (scope_sid = COALESCE(account_sid, organization_sid))
);
CREATE UNIQUE INDEX role_assignments_unique ON role_assignments (scope_sid, user_sid, role_sid);
CREATE INDEX role_assignments_user ON role_assignments (user_sid);
-- Exactly one Owner per account and per organization: at most one by index, at least one
-- because ownership only moves by a transfer inside one transaction.
CREATE UNIQUE INDEX one_owner_per_account ON role_assignments (scope_sid)
    WHERE role_sid = 'IX00000000000000000000000000000101';
CREATE UNIQUE INDEX one_owner_per_organization ON role_assignments (scope_sid)
    WHERE role_sid = 'IX00000000000000000000000000000201';

CREATE TABLE audit_events (
    sid TEXT PRIMARY KEY,
    occurred_at TIMESTAMPTZ NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    organization_sid TEXT,
    account_sid TEXT,
    source_ip TEXT,
    details JSONB NOT NULL
);
CREATE INDEX audit_events_account ON audit_events (account_sid, sid);
CREATE INDEX audit_events_organization ON audit_events (organization_sid, sid);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_sid TEXT NOT NULL REFERENCES users(sid) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    ip TEXT,
    user_agent TEXT
);
CREATE INDEX sessions_user ON sessions (user_sid);

CREATE TABLE setup_tokens (
    token_hash TEXT PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL
);
