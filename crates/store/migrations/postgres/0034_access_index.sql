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

CREATE TABLE access_revision (id INTEGER PRIMARY KEY CHECK (id = 1), revision BIGINT NOT NULL);
INSERT INTO access_revision (id, revision) VALUES (1, 0);
CREATE TABLE access_changes (revision BIGINT PRIMARY KEY, kind TEXT NOT NULL, sid TEXT NOT NULL);

-- Notes one change: TG_ARGV[0] is its kind, TG_ARGV[1] the column holding its SID. Every other
-- node hears of it at commit through NOTIFY gatehouse_access.
CREATE FUNCTION note_access_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    rev BIGINT;
    changed JSONB;
BEGIN
    IF TG_OP = 'DELETE' THEN changed := to_jsonb(OLD); ELSE changed := to_jsonb(NEW); END IF;
    UPDATE access_revision SET revision = revision + 1 WHERE id = 1 RETURNING revision INTO rev;
    INSERT INTO access_changes (revision, kind, sid) VALUES (rev, TG_ARGV[0], changed ->> TG_ARGV[1]);
    PERFORM pg_notify('gatehouse_access', rev::text);
    RETURN NULL;
END
$$;
CREATE TRIGGER access_assignment_added AFTER INSERT ON role_assignments FOR EACH ROW EXECUTE FUNCTION note_access_change('user', 'user_sid');
CREATE TRIGGER access_assignment_changed AFTER UPDATE ON role_assignments FOR EACH ROW EXECUTE FUNCTION note_access_change('user', 'user_sid');
CREATE TRIGGER access_assignment_removed AFTER DELETE ON role_assignments FOR EACH ROW EXECUTE FUNCTION note_access_change('user', 'user_sid');
CREATE TRIGGER access_group_assignment_added AFTER INSERT ON group_role_assignments FOR EACH ROW EXECUTE FUNCTION note_access_change('group', 'group_sid');
CREATE TRIGGER access_group_assignment_changed AFTER UPDATE ON group_role_assignments FOR EACH ROW EXECUTE FUNCTION note_access_change('group', 'group_sid');
CREATE TRIGGER access_group_assignment_removed AFTER DELETE ON group_role_assignments FOR EACH ROW EXECUTE FUNCTION note_access_change('group', 'group_sid');
CREATE TRIGGER access_member_added AFTER INSERT ON group_members FOR EACH ROW EXECUTE FUNCTION note_access_change('user', 'user_sid');
CREATE TRIGGER access_member_removed AFTER DELETE ON group_members FOR EACH ROW EXECUTE FUNCTION note_access_change('user', 'user_sid');
CREATE TRIGGER access_group_removed AFTER DELETE ON groups FOR EACH ROW EXECUTE FUNCTION note_access_change('group', 'sid');
CREATE TRIGGER access_role_added AFTER INSERT ON roles FOR EACH ROW EXECUTE FUNCTION note_access_change('role', 'sid');
CREATE TRIGGER access_role_changed AFTER UPDATE ON roles FOR EACH ROW EXECUTE FUNCTION note_access_change('role', 'sid');
CREATE TRIGGER access_role_removed AFTER DELETE ON roles FOR EACH ROW EXECUTE FUNCTION note_access_change('role', 'sid');
CREATE TRIGGER access_user_changed AFTER UPDATE OF status, organization_sid ON users FOR EACH ROW EXECUTE FUNCTION note_access_change('user', 'sid');
CREATE TRIGGER access_user_removed AFTER DELETE ON users FOR EACH ROW EXECUTE FUNCTION note_access_change('user', 'sid');
CREATE TRIGGER access_account_added AFTER INSERT ON accounts FOR EACH ROW EXECUTE FUNCTION note_access_change('account', 'sid');
CREATE TRIGGER access_account_changed AFTER UPDATE OF status, organization_sid, parent_sid ON accounts FOR EACH ROW EXECUTE FUNCTION note_access_change('account', 'sid');
CREATE TRIGGER access_share_added AFTER INSERT ON account_requests FOR EACH ROW EXECUTE FUNCTION note_access_change('account', 'account_sid');
CREATE TRIGGER access_share_changed AFTER UPDATE OF status ON account_requests FOR EACH ROW EXECUTE FUNCTION note_access_change('account', 'account_sid');
CREATE TRIGGER access_key_added AFTER INSERT ON api_keys FOR EACH ROW EXECUTE FUNCTION note_access_change('key', 'sid');
CREATE TRIGGER access_key_changed AFTER UPDATE OF revoked_at, permissions ON api_keys FOR EACH ROW EXECUTE FUNCTION note_access_change('key', 'sid');
CREATE TRIGGER access_key_removed AFTER DELETE ON api_keys FOR EACH ROW EXECUTE FUNCTION note_access_change('key', 'sid');
CREATE TRIGGER access_app_added AFTER INSERT ON oauth_apps FOR EACH ROW EXECUTE FUNCTION note_access_change('app', 'sid');
CREATE TRIGGER access_app_changed AFTER UPDATE OF revoked_at ON oauth_apps FOR EACH ROW EXECUTE FUNCTION note_access_change('app', 'sid');
CREATE TRIGGER access_app_removed AFTER DELETE ON oauth_apps FOR EACH ROW EXECUTE FUNCTION note_access_change('app', 'sid');
