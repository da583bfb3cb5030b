-- heartbeat-1.lua: one rate limiter process says it is alive, and learns how many are.
-- KEYS     the sorted set of processes: member = process id, score = its last heartbeat (Redis ms)
-- ARGV     process id, ttlMs (a process not heard from for this long is gone)
-- returns  the number of live processes, this one included
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ttl)
redis.call('PEXPIRE', KEYS[1], ttl * 2)
return redis.call('ZCARD', KEYS[1])
