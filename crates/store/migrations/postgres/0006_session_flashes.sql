-- A one-time message for a session's next page (e.g. a new API key's secret, shown once after a
-- redirect so that reloading does not repeat the action). Read once, then deleted.

CREATE TABLE session_flashes (
    token_hash TEXT PRIMARY KEY REFERENCES sessions(token_hash) ON DELETE CASCADE,
    value TEXT NOT NULL
);
