-- The other attributes an identity provider sends about a user (title, locale, timezone,
-- phoneNumbers, addresses, the enterprise extension…), kept as sent: a JSON object, NULL when
-- there are none. They are shown back and never filtered on (filters on them are refused).
ALTER TABLE scim_profiles ADD COLUMN attributes TEXT;
