-- Invitations to accounts: one pending invitation per account and address; the link's token is
-- stored hashed and replaced on resend.

CREATE TABLE invitations (
    sid TEXT PRIMARY KEY,
    account_sid TEXT NOT NULL REFERENCES accounts(sid),
    email TEXT NOT NULL,
    roles TEXT NOT NULL,
    invited_by TEXT REFERENCES users(sid),
    token_hash TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'revoked')),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX invitations_one_pending ON invitations (account_sid, lower(email)) WHERE status = 'pending';
CREATE INDEX invitations_account ON invitations (account_sid, sid);
