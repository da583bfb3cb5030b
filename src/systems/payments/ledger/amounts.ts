/**
 * Amounts: integers in minor units, held as bigint. The API takes a JSON integer up to 2^53 - 1
 * (beyond it a JSON number has already lost digits on the way in) or a string of digits up to
 * 2^63 - 1 (PostgreSQL's bigint), and always answers with strings, which every JSON reader keeps
 * exact.
 */

/** PostgreSQL's bigint ceiling: the largest amount and the largest balance. */
export const MAX_AMOUNT = 2n ** 63n - 1n

export type AmountParse = { ok: true; value: bigint } | { ok: false; reason: string }

/** Parse an amount as the API takes it: a positive integer, or its decimal digits as a string. */
export function parseAmount(raw: unknown): AmountParse {
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw) || !Number.isInteger(raw))
      return { ok: false, reason: 'must be an integer number of minor units (cents), not a fraction' }
    if (!Number.isSafeInteger(raw))
      return { ok: false, reason: 'is above 2^53 - 1 as a JSON number: send it as a string of digits' }
    if (raw <= 0) return { ok: false, reason: 'must be greater than 0' }
    return { ok: true, value: BigInt(raw) }
  }
  if (typeof raw === 'string') {
    if (!/^[0-9]{1,19}$/.test(raw))
      return { ok: false, reason: 'must be a positive integer written with the digits 0-9 only' }
    const value = BigInt(raw)
    if (value <= 0n) return { ok: false, reason: 'must be greater than 0' }
    if (value > MAX_AMOUNT) return { ok: false, reason: `must be at most ${MAX_AMOUNT}` }
    return { ok: true, value }
  }
  return { ok: false, reason: 'must be an integer (or a string of digits)' }
}
