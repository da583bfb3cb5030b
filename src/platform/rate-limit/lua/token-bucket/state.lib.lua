-- token-bucket/state.lib.lua: the state functions of token-bucket.ts, over
-- key1 hash { k = tokens x periodMs, t = when k was last brought up to date (ms) }.
-- Tokens are counted in 1/periodMs of a token, so the refill is exactly `limit` units per ms.
-- A missing key is a full bucket; the key expires when the bucket would be full again.
local keys_per_decision = 1
local capacity = burst
local full = burst * period

local function load_state()
  -- Refill for the time elapsed (capped at what fills an empty bucket).
  local tokens = full
  local stored = redis.call('HMGET', key1, 'k', 't')
  if stored[1] then
    local at = tonumber(stored[2])
    if now < at then now = at end
    local elapsed = math.min(now - at, ceil_div(full, limit))
    tokens = math.min(full, tonumber(stored[1]) + elapsed * limit)
  end
  return { tokens = tokens }
end
local function admits(s, c) return s.tokens >= c * period end
local function take(s, c) s.tokens = s.tokens - c * period end
local function give(s, c) s.tokens = math.min(full, s.tokens + c * period) end
local function retry_after(s, c) return ceil_div(c * period - s.tokens, limit) end
local function describe(s) return floor_div(s.tokens, period), ceil_div(full - s.tokens, limit) end
local function save(s, reset)
  if reset == 0 then
    redis.call('DEL', key1)
  else
    redis.call('HSET', key1, 'k', s.tokens, 't', now)
    redis.call('PEXPIRE', key1, reset)
  end
end
