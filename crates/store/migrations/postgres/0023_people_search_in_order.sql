-- A search of the people lists reads the users whose name starts with it in (folded name, SID)
-- order, the order its pages run in (ADR 0017): with the SID in the index, a page starts at its
-- cursor and reads a page, instead of sorting every match.
DROP INDEX users_organization_name;
CREATE INDEX users_organization_name_sid ON users (organization_sid, lower(name COLLATE "C"), sid);
