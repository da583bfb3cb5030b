-- Who caused each audit event: the administrator (the admin API's token subject) for admin
-- actions, else the user or the client the event is about. The audit query API filters on it.
ALTER TABLE audit_log ADD COLUMN actor text;
UPDATE audit_log SET actor = coalesce(user_id, client_id);
CREATE INDEX audit_log_actor ON audit_log (actor, id DESC) WHERE actor IS NOT NULL;
CREATE INDEX audit_log_event ON audit_log (event, id DESC);
