-- OAuth apps belong to an organization (the Organizations API) or to an account (Twilio's
-- iam/v1 Account/OAuthApps: tokens that act for the account as its API keys do), never both;
-- each has a description and the lifetime of the tokens it obtains.
ALTER TABLE oauth_apps ALTER COLUMN organization_sid DROP NOT NULL;
ALTER TABLE oauth_apps ADD COLUMN account_sid TEXT REFERENCES accounts(sid);
ALTER TABLE oauth_apps ADD COLUMN description TEXT;
ALTER TABLE oauth_apps ADD COLUMN access_token_ttl BIGINT NOT NULL DEFAULT 3600;
ALTER TABLE oauth_apps ADD CONSTRAINT oauth_apps_one_owner CHECK ((organization_sid IS NULL) <> (account_sid IS NULL));
CREATE INDEX oauth_apps_account ON oauth_apps (account_sid, sid);
CREATE INDEX oauth_apps_created_by ON oauth_apps (created_by);
