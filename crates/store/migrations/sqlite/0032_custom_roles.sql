-- Custom roles: the roles table (built-in roles since 0001) gains each role's definition.

ALTER TABLE roles ADD COLUMN description TEXT NOT NULL DEFAULT '';
-- The permissions' catalogue names, comma-separated (empty for the built-in roles, whose
-- permissions are fixed in code).
ALTER TABLE roles ADD COLUMN permissions TEXT NOT NULL DEFAULT '';
ALTER TABLE roles ADD COLUMN created_at TEXT;
ALTER TABLE roles ADD COLUMN updated_at TEXT;
CREATE UNIQUE INDEX roles_custom_names ON roles (organization_sid, name) WHERE organization_sid IS NOT NULL;
CREATE INDEX role_assignments_role ON role_assignments (role_sid);
