-- The users of an organization are its managed users and its guests: people it does not manage
-- who hold a role in it or on one of its accounts (ADR 0022). `guest_of` names, on each
-- assignment, the organization its scope belongs to when the user is not one of that
-- organization's managed users (NULL otherwise); `user_email` and `user_name_folded` copy the
-- user's address and folded name, so an organization's guests are listed and searched in order
-- from small indexes instead of from every assignment on every one of its accounts (the users
-- page walked them all: 10,000 assignments on 2,000 accounts cost 13-26 ms a page). The store
-- keeps the three true when an assignment is made and when a user's organization, address or
-- name changes, or an account's organization.
ALTER TABLE role_assignments ADD COLUMN guest_of TEXT;
ALTER TABLE role_assignments ADD COLUMN user_email TEXT;
ALTER TABLE role_assignments ADD COLUMN user_name_folded TEXT;
UPDATE role_assignments SET
    guest_of = (
        SELECT o.sid FROM organizations o
        WHERE o.sid = COALESCE(role_assignments.organization_sid,
                               (SELECT a.organization_sid FROM accounts a WHERE a.sid = role_assignments.account_sid))
          AND NOT EXISTS (SELECT 1 FROM users u WHERE u.sid = role_assignments.user_sid AND u.organization_sid = o.sid)),
    user_email = (SELECT u.email FROM users u WHERE u.sid = role_assignments.user_sid),
    user_name_folded = (SELECT lower(u.name COLLATE "C") FROM users u WHERE u.sid = role_assignments.user_sid);
CREATE INDEX role_assignments_guests ON role_assignments (guest_of, user_sid) WHERE guest_of IS NOT NULL;
CREATE INDEX role_assignments_guest_emails ON role_assignments (guest_of, user_email COLLATE "C", user_sid)
    WHERE guest_of IS NOT NULL;
CREATE INDEX role_assignments_guest_names ON role_assignments (guest_of, user_name_folded COLLATE "C", user_sid)
    WHERE guest_of IS NOT NULL;
