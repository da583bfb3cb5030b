-- refund.lib.lua: applyOp's refund (algorithm.ts): give `cost` back, never beyond a fresh state.
local state = load_state()
give(state, cost)
local remaining, reset = describe(state)
save(state, reset)
return { 1, remaining, capacity, reset, 0 }
