-- Each account's auth token (the 2010 API's Basic `AC…:token`), stored as a hash: it is shown
-- when it is made (creating a subaccount through the API, or rotating it in the console).

CREATE TABLE account_auth_tokens (
    account_sid TEXT PRIMARY KEY REFERENCES accounts(sid),
    token_hash TEXT NOT NULL,
    rotated_at TIMESTAMPTZ NOT NULL
);
