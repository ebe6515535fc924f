-- Lists of an organization's users are paged by SID: the index serves the filter and the order.
CREATE INDEX users_organization_sid ON users (organization_sid, sid);
DROP INDEX users_organization;
-- 0005 and 0012 both indexed api_keys (created_by).
DROP INDEX api_keys_creator;
