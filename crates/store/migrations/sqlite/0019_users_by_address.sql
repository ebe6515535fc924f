-- SCIM lists sorted by userName read an organization's users in address order from this index
-- instead of sorting them.
CREATE INDEX users_organization_email ON users (organization_sid, lower(email));
