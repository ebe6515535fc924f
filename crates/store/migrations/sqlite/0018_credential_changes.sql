-- One row whose version moves whenever a credential is revoked or rotated (API keys, SCIM
-- tokens, OAuth apps, auth tokens, an account's status): every node polls it and forgets the
-- credentials it cached when it moves.
CREATE TABLE credential_changes (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO credential_changes (id, version) VALUES (1, 0);
