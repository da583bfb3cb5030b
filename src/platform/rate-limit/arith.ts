/**
 * Exact integer division. Every algorithm keeps its state in whole numbers
 * (milliseconds, and token amounts scaled by `periodMs`) so that the memory
 * store and the Lua scripts reach the same decision bit for bit. `Math.floor(a / b)`
 * alone can be off by one when the float quotient rounds up to an integer, so
 * the quotient is corrected with exact products (all operands stay below 2^53;
 * `validateLimits` guarantees it). The Lua scripts carry the same two helpers.
 */

/** floor(a / b) for integers a and b > 0, exact below 2^53. */
export function floorDiv(a: number, b: number): number {
  let q = Math.floor(a / b)
  if (q * b > a) q -= 1
  else if ((q + 1) * b <= a) q += 1
  return q
}

/** ceil(a / b) for integers a and b > 0, exact below 2^53. */
export function ceilDiv(a: number, b: number): number {
  return -floorDiv(-a, b)
}
