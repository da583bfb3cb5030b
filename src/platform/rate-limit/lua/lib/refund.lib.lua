-- refund.lib.lua: applyOp's refund (algorithm.ts): give the cost back, never beyond a fresh state.
-- A call carries one or more decisions (KEYS in groups of keys_per_decision, one cost each in
-- ARGV[5..]); decisions on the same key see each other in order. Returns 5 numbers per decision:
-- allowed (1 or 0), remaining, capacity, resetMs, retryAfterMs.
local out = {}
local function put(i, allowed, remaining, reset, retry)
  local j = i * 5
  out[j + 1], out[j + 2], out[j + 3], out[j + 4], out[j + 5] = allowed, remaining, capacity, reset, retry
end
for i = 0, #KEYS / keys_per_decision - 1 do
  key1, key2 = KEYS[i * keys_per_decision + 1], KEYS[i * keys_per_decision + 2]
  cost, now = tonumber(ARGV[5 + i]), clock
  local state = load_state()
  give(state, cost)
  local remaining, reset = describe(state)
  save(state, reset)
  put(i, 1, remaining, reset, 0)
end
return out
