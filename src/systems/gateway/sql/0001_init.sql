-- The gateway's configuration: Kong's entities, one row each, as validated JSON (defaults filled,
-- references by id). The whole set is small (thousands of rows at most) and always read whole:
-- every node compiles it into one snapshot, so one table keyed by kind keeps writes and reads simple.
CREATE TABLE entities (
  kind text NOT NULL CHECK (kind IN ('services', 'routes', 'upstreams', 'targets', 'consumers',
                                     'keyauth_credentials', 'jwt_secrets', 'plugins')),
  id text NOT NULL,
  body jsonb NOT NULL,
  created_at bigint NOT NULL,
  PRIMARY KEY (kind, id)
);

-- One row: bumped by every change, in the change's transaction. Writers lock it (FOR UPDATE), so
-- changes apply one at a time on the whole set, and nodes compare it to know they are current.
CREATE TABLE config_version (
  one boolean PRIMARY KEY DEFAULT true CHECK (one),
  version bigint NOT NULL
);
INSERT INTO config_version (one, version) VALUES (true, 0);
