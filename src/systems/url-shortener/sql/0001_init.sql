-- The URL shortener's schema. Unqualified names resolve to the system's own
-- schema (url_shortener, or a per-test one).

-- Short URL ids are handed out in blocks: one nextval reserves ids
-- [n * block, (n + 1) * block) for one process, which then creates that many
-- short URLs without asking the database for an id (see id-allocator.ts).
CREATE SEQUENCE id_blocks AS bigint START 1;

-- Every write to a short URL takes a new version from this sequence. The
-- Redis cache keeps the version of what it holds and refuses to overwrite a
-- newer entry with an older one (lua/set-if-newer-1.lua), which closes the
-- race between a slow reader filling the cache and a concurrent edit.
CREATE SEQUENCE versions AS bigint START 1;

-- The secret key of the short-code permutation (codes.ts), created once per
-- installation by the first process that starts.
CREATE TABLE code_key (
  id int PRIMARY KEY CHECK (id = 1),
  key bytea NOT NULL
);

CREATE TABLE short_urls (
  id bigint PRIMARY KEY,
  -- "C" collation: byte-wise, case-sensitive comparison (codes are case-sensitive).
  short_code text COLLATE "C" NOT NULL UNIQUE,
  long_url text NOT NULL,
  date_created timestamptz NOT NULL DEFAULT now(),
  valid_since timestamptz,
  valid_until timestamptz,
  max_visits integer CHECK (max_visits > 0),
  -- Every visit granted so far. Links with max_visits count synchronously on the
  -- redirect path (UPDATE ... WHERE visit_count < max_visits); others are counted by
  -- the visits flusher in batches.
  visit_count bigint NOT NULL DEFAULT 0,
  bot_count bigint NOT NULL DEFAULT 0,
  title text,
  crawlable boolean NOT NULL DEFAULT false,
  forward_query boolean NOT NULL DEFAULT true,
  version bigint NOT NULL DEFAULT nextval('versions'),
  api_key_id bigint
);

CREATE INDEX short_urls_date_created ON short_urls (date_created);
-- findIfExists looks links up by their long URL (at most 2,048 ASCII characters: fits a btree entry).
CREATE INDEX short_urls_long_url ON short_urls (long_url);

CREATE TABLE tags (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text COLLATE "C" NOT NULL UNIQUE
);

CREATE TABLE short_url_tags (
  short_url_id bigint NOT NULL REFERENCES short_urls (id) ON DELETE CASCADE,
  tag_id bigint NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
  PRIMARY KEY (short_url_id, tag_id)
);

CREATE INDEX short_url_tags_tag ON short_url_tags (tag_id);

-- No foreign key to short_urls: the flusher writes visits in batches, and a link deleted
-- between a visit and its flush must not fail the whole batch. The flusher joins
-- short_urls instead, and deleting a link deletes its visits in the same transaction.
-- No primary key either: nothing looks a visit up by id, and the index it would need costs a
-- quarter of every visit's write. `id` only breaks ties between visits of the same instant.
CREATE TABLE visits (
  id bigint GENERATED ALWAYS AS IDENTITY,
  short_url_id bigint NOT NULL,
  date timestamptz NOT NULL,
  referer text,
  user_agent text,
  visited_url text,
  redirect_url text,
  potential_bot boolean NOT NULL
);

CREATE INDEX visits_short_url_date ON visits (short_url_id, date DESC);

-- Visits to unknown codes ("orphan visits" in Shlink) are counted, not stored one by one:
-- a scanner probing random codes must not fill the database.
CREATE TABLE orphan_visits (
  id int PRIMARY KEY CHECK (id = 1),
  total bigint NOT NULL DEFAULT 0,
  bots bigint NOT NULL DEFAULT 0
);

INSERT INTO orphan_visits (id) VALUES (1);

-- API keys are stored as SHA-256 hashes: a key is 122 random bits (a UUID v4, as
-- Shlink's), so a slow password hash would add latency without adding safety.
CREATE TABLE api_keys (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL,
  key_hash text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz,
  enabled boolean NOT NULL DEFAULT true
);
