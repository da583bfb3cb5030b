-- Workspaces (Kong's tenants): every entity belongs to one. Ids stay unique across workspaces (the
-- primary key is unchanged), names are unique within one (checked when a change is validated).
ALTER TABLE entities ADD COLUMN workspace text NOT NULL DEFAULT 'default';
CREATE INDEX entities_workspace ON entities (workspace);

-- One row per workspace, its Kong fields as JSON. `default` always exists and cannot be deleted.
CREATE TABLE workspaces (
  name text PRIMARY KEY,
  body jsonb NOT NULL,
  created_at bigint NOT NULL
);
INSERT INTO workspaces (name, body, created_at) VALUES (
  'default',
  '{"id": "00000000-0000-4000-8000-000000000000", "name": "default", "comment": null, "meta": {}, "config": {}}',
  0
);
