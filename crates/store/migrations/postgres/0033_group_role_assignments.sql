-- Groups grant access: a role assigned to a group at a scope is held by each of its members.

CREATE TABLE group_role_assignments (
    sid TEXT PRIMARY KEY,
    role_sid TEXT NOT NULL REFERENCES roles(sid),
    group_sid TEXT NOT NULL REFERENCES groups(sid) ON DELETE CASCADE,
    scope_sid TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX group_role_assignments_unique ON group_role_assignments (group_sid, scope_sid, role_sid);
CREATE INDEX group_role_assignments_role ON group_role_assignments (role_sid);
