-- SCIM clients look a group up by name before creating it (`displayName eq "…"`, ASCII letters
-- folded): answered from this index instead of walking the organization's groups.
CREATE INDEX groups_organization_name ON groups (organization_sid, lower(display_name));
