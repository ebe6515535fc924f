-- Public keys accounts register for Public Key Client Validation (Twilio's Credentials API).

CREATE TABLE account_public_keys (
    sid TEXT PRIMARY KEY,
    account_sid TEXT NOT NULL REFERENCES accounts(sid),
    name TEXT NOT NULL,
    pem TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX account_public_keys_account ON account_public_keys (account_sid, sid);
