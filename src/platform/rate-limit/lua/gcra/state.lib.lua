-- gcra/state.lib.lua: the state functions of gcra.ts, over
-- key1 hash { t = whole ms of the theoretical arrival time (TAT), f = its fraction in 1/limit ms }.
-- "debt" = (TAT - now) x limit, in 1/periodMs of a unit: admitted while debt + cost x periodMs
-- <= burst x periodMs. A TAT in the past (or a missing key) is no debt; the key expires at the TAT.
local keys_per_decision = 1
local capacity = burst
local full = burst * period

local function load_state()
  -- Nothing to advance: the TAT says it all.
  local debt = 0
  local stored = redis.call('HMGET', key1, 't', 'f')
  if stored[1] then debt = math.max(0, (tonumber(stored[1]) - now) * limit + tonumber(stored[2])) end
  return { debt = debt }
end
local function admits(s, c) return s.debt + c * period <= full end
local function take(s, c) s.debt = s.debt + c * period end
local function give(s, c) s.debt = math.max(0, s.debt - c * period) end
local function retry_after(s, c) return ceil_div(s.debt + c * period - full, limit) end
local function describe(s) return math.max(0, floor_div(full - s.debt, period)), ceil_div(s.debt, limit) end
local function save(s, reset)
  if reset == 0 then
    redis.call('DEL', key1)
  else
    -- TAT = now + debt / limit ms, kept exactly as whole ms plus a fraction.
    local whole = floor_div(s.debt, limit)
    redis.call('HSET', key1, 't', now + whole, 'f', s.debt - whole * limit)
    redis.call('PEXPIRE', key1, reset)
  end
end
