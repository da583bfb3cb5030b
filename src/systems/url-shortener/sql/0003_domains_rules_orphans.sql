-- What Shlink 4 clients use beyond the first schema: per-domain "not found"
-- redirects, redirect rules of a short URL, and orphan visits stored one by one
-- (in buckets, as the visits of links are).

-- A domain is a host name (with an optional port) whose "not found" redirects are
-- configured: created by the first PATCH /rest/v3/domains/redirects that names it,
-- as Shlink does. The default domain has a row only once its redirects are set.
CREATE TABLE domains (
  authority text COLLATE "C" PRIMARY KEY,
  base_url_redirect text,
  regular_404_redirect text,
  invalid_short_url_redirect text
);

-- A short URL's rules, tried in priority order (1 first) on every redirect; the first
-- rule whose conditions all match gives the long URL. The conditions are a JSON array
-- of {type, matchKey, matchValue}: they are only ever read and written with their rule.
CREATE TABLE redirect_rules (
  short_url_id bigint NOT NULL REFERENCES short_urls (id) ON DELETE CASCADE,
  priority integer NOT NULL CHECK (priority > 0),
  long_url text NOT NULL,
  conditions json NOT NULL,
  PRIMARY KEY (short_url_id, priority)
);

-- Visits to the base URL, to unknown short codes and to any other missing path, in
-- buckets of one type per flush (visits.bucket.ts describes the document). The
-- orphan_visits row keeps the counters the summary reads.
-- type: 0 base_url, 1 invalid_short_url, 2 regular_404.
CREATE TABLE orphan_visit_buckets (
  id bigint GENERATED ALWAYS AS IDENTITY,
  type smallint NOT NULL CHECK (type BETWEEN 0 AND 2),
  first_at bigint NOT NULL,
  last_at bigint NOT NULL,
  n integer NOT NULL CHECK (n > 0),
  bots integer NOT NULL CHECK (bots >= 0 AND bots <= n),
  visits json NOT NULL
);

CREATE INDEX orphan_visit_buckets_last ON orphan_visit_buckets (last_at DESC);
