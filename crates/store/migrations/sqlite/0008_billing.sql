-- Billing: payment methods on file (no card numbers: the provider's reference only) and invoices.

CREATE TABLE payment_methods (
    sid TEXT PRIMARY KEY,
    account_sid TEXT NOT NULL REFERENCES accounts(sid),
    kind TEXT NOT NULL CHECK (kind IN ('card', 'paypal')),
    brand TEXT,
    last4 TEXT,
    exp_month INTEGER,
    exp_year INTEGER,
    paypal_email TEXT,
    provider_ref TEXT NOT NULL,
    is_default BOOLEAN NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX payment_methods_account ON payment_methods (account_sid, sid);
CREATE UNIQUE INDEX payment_methods_one_default ON payment_methods (account_sid) WHERE is_default;

CREATE TABLE invoices (
    sid TEXT PRIMARY KEY,
    account_sid TEXT NOT NULL REFERENCES accounts(sid),
    period TEXT NOT NULL,
    amount_cents BIGINT NOT NULL,
    currency TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'paid', 'void')),
    issued_at TEXT NOT NULL
);
CREATE INDEX invoices_account ON invoices (account_sid, sid);
