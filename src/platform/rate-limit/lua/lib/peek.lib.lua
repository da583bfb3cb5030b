-- peek.lib.lua: applyOp's peek (algorithm.ts): what consume would answer now. Writes nothing.
local state = load_state()
local remaining, reset = describe(state)
if admits(state, cost) then return { 1, remaining, capacity, reset, 0 } end
return { 0, remaining, capacity, reset, retry_after(state, cost) }
