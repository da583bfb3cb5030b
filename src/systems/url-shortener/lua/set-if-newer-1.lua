-- set-if-newer: store a cache entry unless the key holds a newer one.
--
-- Entries are "<version>|<payload>". Versions come from the `versions`
-- sequence: every create, edit and delete of a link takes a new one, and a
-- reader that found nothing in PostgreSQL writes version 0. So a reader that
-- read a link before an edit, and is slow to fill the cache, cannot put the
-- old value back over the edit's write-through.
--
-- KEYS[1]  the entry's key (the client adds the key prefix)
-- ARGV[1]  version (integer, >= 0)
-- ARGV[2]  payload (JSON of the redirect target, or "-" for "no such code")
-- ARGV[3]  time to live in milliseconds
-- Returns  1 when stored, 0 when a newer entry was kept.
local current = redis.call('GET', KEYS[1])
if current then
  local v = tonumber(string.match(current, '^(%d+)|'))
  if v and v > tonumber(ARGV[1]) then
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[2], 'PX', ARGV[3])
return 1
