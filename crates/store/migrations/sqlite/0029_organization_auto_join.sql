-- Domain auto-join: anyone who signs up, or is invited and creates a login, with an address in one
-- of the organization's verified domains becomes a managed Standard User of it.

ALTER TABLE organizations ADD COLUMN auto_join BOOLEAN NOT NULL DEFAULT FALSE;
