-- The permission-check index (ADR 0025). Every change to who holds what is noted, by triggers,
-- as a numbered row of access_changes: the kind of thing that changed and its SID. The number is
-- the access revision, counted by the one row of access_revision, whose lock (held to commit)
-- makes revisions commit in order; a node applies the changes after its revision, and reloads
-- everything when they have been pruned past it.
--
-- Also: a role assignment (of a user or a group) on an account may reach its subaccounts, and an
-- API key may be restricted to some of its account's key permissions (NULL: all of them).

ALTER TABLE role_assignments ADD COLUMN with_subaccounts BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE group_role_assignments ADD COLUMN with_subaccounts BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE api_keys ADD COLUMN permissions TEXT;

CREATE TABLE access_revision (id INTEGER PRIMARY KEY CHECK (id = 1), revision INTEGER NOT NULL);
INSERT INTO access_revision (id, revision) VALUES (1, 0);
CREATE TABLE access_changes (revision INTEGER PRIMARY KEY, kind TEXT NOT NULL, sid TEXT NOT NULL);

-- SQLite has no trigger functions: the triggers insert into this view, whose one trigger counts.
CREATE VIEW access_change_notes AS SELECT kind, sid FROM access_changes;
CREATE TRIGGER access_change_noted INSTEAD OF INSERT ON access_change_notes BEGIN
    UPDATE access_revision SET revision = revision + 1 WHERE id = 1;
    INSERT INTO access_changes (revision, kind, sid) SELECT revision, NEW.kind, NEW.sid FROM access_revision WHERE id = 1;
END;

CREATE TRIGGER access_assignment_added AFTER INSERT ON role_assignments BEGIN
    INSERT INTO access_change_notes (kind, sid) VALUES ('user', NEW.user_sid);
END;

CREATE TRIGGER access_assignment_changed AFTER UPDATE ON role_assignments BEGIN
    INSERT INTO access_change_notes (kind, sid) VALUES ('user', NEW.user_sid);
END;

CREATE TRIGGER access_assignment_removed AFTER DELETE ON role_assignments BEGIN
    INSERT INTO access_change_notes (kind, sid) VALUES ('user', OLD.user_sid);
END;

CREATE TRIGGER access_group_assignment_added AFTER INSERT ON group_role_assignments BEGIN
    INSERT INTO access_change_notes (kind, sid) VALUES ('group', NEW.group_sid);
END;

CREATE TRIGGER access_group_assignment_changed AFTER UPDATE ON group_role_assignments BEGIN
    INSERT INTO access_change_notes (kind, sid) VALUES ('group', NEW.group_sid);
END;

CREATE TRIGGER access_group_assignment_removed AFTER DELETE ON group_role_assignments BEGIN
    INSERT INTO access_change_notes (kind, sid) VALUES ('group', OLD.group_sid);
END;

CREATE TRIGGER access_member_added AFTER INSERT ON group_members BEGIN
    INSERT INTO access_change_notes (kind, sid) VALUES ('user', NEW.user_sid);
END;

CREATE TRIGGER access_member_removed AFTER DELETE ON group_members BEGIN
    INSERT INTO access_change_notes (kind, sid) VALUES ('user', OLD.user_sid);
END;

CREATE TRIGGER access_group_removed AFTER DELETE ON groups BEGIN
    INSERT INTO access_change_notes (kind, sid) VALUES ('group', OLD.sid);
END;

CREATE TRIGGER access_role_added AFTER INSERT ON roles BEGIN
    INSERT INTO access_change_notes (kind, sid) VALUES ('role', NEW.sid);
END;

CREATE TRIGGER access_role_changed AFTER UPDATE ON roles BEGIN
    INSERT INTO access_change_notes (kind, sid) VALUES ('role', NEW.sid);
END;

CREATE TRIGGER access_role_removed AFTER DELETE ON roles BEGIN
    INSERT INTO access_change_notes (kind, sid) VALUES ('role', OLD.sid);
END;

CREATE TRIGGER access_user_changed AFTER UPDATE OF status, organization_sid ON users BEGIN
    INSERT INTO access_change_notes (kind, sid) VALUES ('user', NEW.sid);
END;

CREATE TRIGGER access_user_removed AFTER DELETE ON users BEGIN
    INSERT INTO access_change_notes (kind, sid) VALUES ('user', OLD.sid);
END;

CREATE TRIGGER access_account_added AFTER INSERT ON accounts BEGIN
    INSERT INTO access_change_notes (kind, sid) VALUES ('account', NEW.sid);
END;

CREATE TRIGGER access_account_changed AFTER UPDATE OF status, organization_sid, parent_sid ON accounts BEGIN
    INSERT INTO access_change_notes (kind, sid) VALUES ('account', NEW.sid);
END;

CREATE TRIGGER access_share_added AFTER INSERT ON account_requests BEGIN
    INSERT INTO access_change_notes (kind, sid) VALUES ('account', NEW.account_sid);
END;

CREATE TRIGGER access_share_changed AFTER UPDATE OF status ON account_requests BEGIN
    INSERT INTO access_change_notes (kind, sid) VALUES ('account', NEW.account_sid);
END;

CREATE TRIGGER access_key_added AFTER INSERT ON api_keys BEGIN
    INSERT INTO access_change_notes (kind, sid) VALUES ('key', NEW.sid);
END;

CREATE TRIGGER access_key_changed AFTER UPDATE OF revoked_at, permissions ON api_keys BEGIN
    INSERT INTO access_change_notes (kind, sid) VALUES ('key', NEW.sid);
END;

CREATE TRIGGER access_key_removed AFTER DELETE ON api_keys BEGIN
    INSERT INTO access_change_notes (kind, sid) VALUES ('key', OLD.sid);
END;

CREATE TRIGGER access_app_added AFTER INSERT ON oauth_apps BEGIN
    INSERT INTO access_change_notes (kind, sid) VALUES ('app', NEW.sid);
END;

CREATE TRIGGER access_app_changed AFTER UPDATE OF revoked_at ON oauth_apps BEGIN
    INSERT INTO access_change_notes (kind, sid) VALUES ('app', NEW.sid);
END;

CREATE TRIGGER access_app_removed AFTER DELETE ON oauth_apps BEGIN
    INSERT INTO access_change_notes (kind, sid) VALUES ('app', OLD.sid);
END;
