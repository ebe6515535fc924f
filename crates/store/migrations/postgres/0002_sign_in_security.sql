-- Sign-in security: verified emails, enforced 2FA flags, the email outbox, one-time tokens
-- (email verification, password reset), second factors, recovery codes, throttles.

ALTER TABLE users ADD COLUMN email_verified_at TIMESTAMPTZ;
ALTER TABLE users ADD COLUMN require_two_factor BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE organizations ADD COLUMN require_two_factor BOOLEAN NOT NULL DEFAULT FALSE;
-- A session is 'full', or waiting for the second factor after a correct password.
ALTER TABLE sessions ADD COLUMN stage TEXT NOT NULL DEFAULT 'full';

CREATE TABLE email_outbox (
    sid TEXT PRIMARY KEY,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    kind TEXT NOT NULL,
    organization_sid TEXT,
    account_sid TEXT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    locked_until TIMESTAMPTZ,
    sent_at TIMESTAMPTZ,
    last_error TEXT,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX email_outbox_due ON email_outbox (status, next_attempt_at);
CREATE INDEX email_outbox_organization ON email_outbox (organization_sid, sid);
CREATE INDEX email_outbox_account ON email_outbox (account_sid, sid);

CREATE TABLE one_time_tokens (
    token_hash TEXT PRIMARY KEY,
    purpose TEXT NOT NULL CHECK (purpose IN ('verify_email', 'reset_password', 'sms_code')),
    user_sid TEXT NOT NULL REFERENCES users(sid) ON DELETE CASCADE,
    email TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ
);
CREATE INDEX one_time_tokens_user ON one_time_tokens (user_sid, purpose);

CREATE TABLE second_factors (
    user_sid TEXT NOT NULL REFERENCES users(sid) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('totp', 'sms')),
    secret TEXT,
    phone TEXT,
    confirmed_at TIMESTAMPTZ,
    last_used_step BIGINT,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_sid, kind)
);

CREATE TABLE recovery_codes (
    user_sid TEXT NOT NULL REFERENCES users(sid) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_sid, code_hash)
);

CREATE TABLE throttles (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    locked_until TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL
);
