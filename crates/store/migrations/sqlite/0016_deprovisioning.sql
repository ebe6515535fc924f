-- An organization's choice for users its identity provider deletes: revoke the API keys they
-- created (the default) or keep them.

ALTER TABLE organizations ADD COLUMN deprovision_keeps_keys BOOLEAN NOT NULL DEFAULT FALSE;
