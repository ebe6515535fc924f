-- An API key's date_updated moves when it is renamed (Twilio's Key resource carries it).

ALTER TABLE api_keys ADD COLUMN updated_at TIMESTAMPTZ;
UPDATE api_keys SET updated_at = created_at;
