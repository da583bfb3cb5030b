-- The full-text index (messages_tsv, GIN) takes new rows into a pending list and merges the list into
-- its tree when it outgrows gin_pending_list_limit (4 MB by default); the insert that crosses the
-- limit pays for the whole merge. On PGlite there is no autovacuum to merge it earlier, and the merge
-- runs on the server's event loop: measured over 6,000 post_batch() calls of 32 messages, the default
-- stalled a call for 150-250 ms every ~24,000 messages (p99.9 154-216 ms), while a 64 kB list merges
-- in ~10 ms steps at the same mean cost per call (p99.9 10 ms, max 38 ms). On PostgreSQL the same
-- bound caps what one sender's transaction can be made to wait.
ALTER INDEX messages_tsv SET (gin_pending_list_limit = 64);
