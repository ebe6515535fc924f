-- The installation's operators (who may use the operator pages) and its one service banner.

CREATE TABLE operators (
    user_sid TEXT PRIMARY KEY REFERENCES users(sid),
    granted_at TEXT NOT NULL
);

CREATE TABLE service_banner (
    slot INTEGER PRIMARY KEY CHECK (slot = 1),
    message TEXT NOT NULL,
    posted_by TEXT NOT NULL,
    posted_at TEXT NOT NULL
);
