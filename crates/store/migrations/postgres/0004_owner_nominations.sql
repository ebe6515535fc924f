-- Self-serve ownership transfer: the Owner's pending offer to one member, at most one per account.

CREATE TABLE owner_nominations (
    account_sid TEXT PRIMARY KEY REFERENCES accounts(sid),
    nominee_sid TEXT NOT NULL REFERENCES users(sid),
    nominated_by TEXT NOT NULL REFERENCES users(sid),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
