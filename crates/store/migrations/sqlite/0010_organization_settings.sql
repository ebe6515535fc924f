-- An organization's invitation lifetime (days), applied to invitations to its accounts.

ALTER TABLE organizations ADD COLUMN invitation_lifetime_days INTEGER NOT NULL DEFAULT 7;
