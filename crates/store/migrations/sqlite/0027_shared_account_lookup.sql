-- Every Owner and Administrator of an organization with standing access to an independent account
-- acts on it as an Administrator; authorization looks the access up by account (ADR 0024).

CREATE INDEX account_requests_shared ON account_requests (account_sid, organization_sid)
    WHERE kind = 'access' AND status = 'accepted';
