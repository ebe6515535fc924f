-- The permission-check index's whole load reads who is not active (the few deactivated and
-- deleted users) from this index instead of looking up every assignment's user (ADR 0025).
CREATE INDEX users_not_active ON users (sid) WHERE status <> 'active';
