-- Organisations, their roles, members and invitations.
--
-- A role belongs to one organisation and carries permissions (free-form strings such as
-- `invoices:read`, which resource servers check). A member has any number of the organisation's
-- roles; an access token asked for an organisation carries its id and the union of the member's
-- permissions there (organisations.ts).
CREATE TABLE organisations (
  id text PRIMARY KEY,
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX organisations_created ON organisations (created_at, id);

CREATE TABLE org_roles (
  id text PRIMARY KEY,
  org_id text NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
  name text NOT NULL,
  permissions text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, name)
);

CREATE TABLE org_members (
  org_id text NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, user_id)
);
CREATE INDEX org_members_user ON org_members (user_id);

CREATE TABLE org_member_roles (
  org_id text NOT NULL,
  user_id text NOT NULL,
  role_id text NOT NULL REFERENCES org_roles (id) ON DELETE CASCADE,
  PRIMARY KEY (org_id, user_id, role_id),
  FOREIGN KEY (org_id, user_id) REFERENCES org_members (org_id, user_id) ON DELETE CASCADE
);

-- An invitation by mail: the link carries a random token, only its SHA-256 is stored. Accepting
-- it (once, before expires_at) makes the account with that email a member with role_ids, creating
-- the account if there is none (the link proves the address).
CREATE TABLE org_invitations (
  id text PRIMARY KEY,
  org_id text NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
  email text NOT NULL,
  role_ids text[] NOT NULL DEFAULT '{}',
  token_hash text NOT NULL UNIQUE,
  invited_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  accepted_at timestamptz,
  accepted_by text,
  revoked_at timestamptz
);
CREATE INDEX org_invitations_org ON org_invitations (org_id, created_at DESC);

-- Which organisation a grant (one user, one client) was given for: set at consent from the
-- authorization request's `organization` parameter, read when tokens of the grant are issued
-- (code exchange and every refresh), so a refresh keeps the organisation it was granted for.
CREATE TABLE grant_organisations (
  grant_id text PRIMARY KEY,
  org_id text NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now()
);
