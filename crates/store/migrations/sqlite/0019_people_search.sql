-- The people lists' search (ADR 0017): the start of an address or of a name (ASCII letters
-- folded) within an organization, answered from these indexes in byte order.
CREATE INDEX users_organization_email ON users (organization_sid, email);
CREATE INDEX users_organization_name ON users (organization_sid, lower(name));
