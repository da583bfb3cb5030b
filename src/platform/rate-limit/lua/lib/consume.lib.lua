-- consume.lib.lua: applyOp's consume (algorithm.ts) over the state functions of an algorithm:
-- admit and take when `cost` fits, else answer when it would. Only an admission writes.
local state = load_state()
if not admits(state, cost) then
  local remaining, reset = describe(state)
  return { 0, remaining, capacity, reset, retry_after(state, cost) }
end
take(state, cost)
local remaining, reset = describe(state)
save(state, reset)
return { 1, remaining, capacity, reset, 0 }
