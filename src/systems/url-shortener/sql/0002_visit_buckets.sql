-- Visits move from one row per visit to one row per link per flush (a bucket; the document
-- format is described in visits.bucket.ts). A row per visit cost PostgreSQL a tuple, an
-- index entry and the parsing of ~200 bytes of repeated strings for every redirect, which
-- was most of the price of recording visits. Times are epoch milliseconds.
CREATE TABLE visit_buckets (
  id bigint GENERATED ALWAYS AS IDENTITY,
  short_url_id bigint NOT NULL,
  first_at bigint NOT NULL,
  last_at bigint NOT NULL,
  n integer NOT NULL CHECK (n > 0),
  bots integer NOT NULL CHECK (bots >= 0 AND bots <= n),
  visits json NOT NULL
);

-- A link's visits, newest first; and every visit, newest first (the global and per-tag lists).
CREATE INDEX visit_buckets_link ON visit_buckets (short_url_id, last_at DESC);
CREATE INDEX visit_buckets_last ON visit_buckets (last_at DESC);

-- Existing visits, in buckets of at most 1,000 per link, strings stored literally.
INSERT INTO visit_buckets (short_url_id, first_at, last_at, n, bots, visits)
SELECT short_url_id, min(ms), max(ms), count(*), count(*) FILTER (WHERE potential_bot),
       json_build_object('t', min(t), 's', '[]'::json, 'v',
         json_agg(json_build_array(ms - t, referer, user_agent, visited_url, redirect_url,
                                   CASE WHEN potential_bot THEN 1 ELSE 0 END) ORDER BY ms, id))
  FROM (SELECT c.*, min(ms) OVER (PARTITION BY short_url_id, chunk) AS t
          FROM (SELECT v.*, (extract(epoch FROM v.date) * 1000)::bigint AS ms,
                       (row_number() OVER (PARTITION BY v.short_url_id ORDER BY v.date, v.id) - 1) / 1000 AS chunk
                  FROM visits v) c) x
 GROUP BY short_url_id, chunk;

DROP TABLE visits;
