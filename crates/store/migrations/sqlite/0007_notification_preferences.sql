-- Which account roles receive which notice category; a missing row means the defaults.

CREATE TABLE notification_preferences (
    account_sid TEXT NOT NULL REFERENCES accounts(sid),
    category TEXT NOT NULL CHECK (category IN ('billing', 'usage', 'security', 'service')),
    roles TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (account_sid, category)
);
