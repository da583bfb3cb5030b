/**
 * Reading Stripe parameters (all strings on the wire) with Stripe's refusals: unknown
 * parameters, missing ones, integers, enums, amounts within Stripe's limits, currencies,
 * metadata, expand[].
 */
import { isStorableText } from '../../../platform/text/storable.js'
import { isCurrency } from '../ledger/currencies.js'
import { StripeErrors } from './errors.js'
import type { FormObject, FormValue } from './form.js'

/** Stripe's smallest charge (50 cents in usd) and largest (99,999,999 minor units). */
export const MIN_AMOUNT = 50
export const MAX_AMOUNT = 99_999_999

/** Refuse any parameter not in `allowed` (Stripe's parameter_unknown). */
export function onlyParams(p: FormObject, allowed: readonly string[]): void {
  for (const k of Object.keys(p)) if (!allowed.includes(k)) throw StripeErrors.unknownParam(k)
}

/** A string parameter (undefined when absent); `max` characters at most, storable text only. */
export function str(p: FormObject, name: string, max = 5000): string | undefined {
  const v = p[name]
  if (v === undefined) return undefined
  if (typeof v !== 'string') throw StripeErrors.invalidString(name, 'expected a string')
  if (v.length > max) throw StripeErrors.invalidString(name, `must be at most ${max} characters`)
  if (!isStorableText(v)) throw StripeErrors.invalidString(name, 'contains U+0000 or a lone surrogate')
  return v
}

export function required<T>(value: T | undefined, name: string): T {
  if (value === undefined || value === '') throw StripeErrors.missingParam(name)
  return value
}

/** An object id parameter (`cus_...`): a string of letters, digits and `_`. */
export function idParam(p: FormObject, name: string): string | undefined {
  const v = str(p, name, 255)
  if (v === undefined || v === '') return undefined
  if (!/^[A-Za-z0-9_]+$/.test(v)) throw StripeErrors.invalidString(name, 'not an id')
  return v
}

/** A non-negative integer parameter written in digits. */
export function int(p: FormObject, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = p[name]
  if (v === undefined) return undefined
  if (typeof v !== 'string' || !/^-?\d{1,16}$/.test(v)) throw StripeErrors.invalidInteger(name, String(v))
  const n = Number(v)
  if (n < min || n > max)
    throw StripeErrors.invalidValue(name, `Invalid ${name}: must be between ${min} and ${max}`)
  return n
}

/** An amount in minor units within Stripe's limits (`min` defaults to Stripe's 50). */
export function amount(p: FormObject, name: string, min = MIN_AMOUNT): number | undefined {
  const v = p[name]
  if (v === undefined) return undefined
  if (typeof v !== 'string' || !/^-?\d+$/.test(v)) throw StripeErrors.invalidInteger(name, String(v))
  if (v.startsWith('-') || Number(v) < min) throw StripeErrors.amountTooSmall(name, min)
  if (v.length > 9 || Number(v) > MAX_AMOUNT) throw StripeErrors.amountTooLarge(name, MAX_AMOUNT)
  return Number(v)
}

export function bool(p: FormObject, name: string): boolean | undefined {
  const v = p[name]
  if (v === undefined) return undefined
  if (v === 'true') return true
  if (v === 'false') return false
  throw StripeErrors.invalidValue(name, `Invalid boolean: ${String(v).slice(0, 20)}`)
}

export function oneOf<T extends string>(p: FormObject, name: string, allowed: readonly T[]): T | undefined {
  const v = p[name]
  if (v === undefined) return undefined
  if (typeof v !== 'string' || !allowed.includes(v as T))
    throw StripeErrors.invalidEnum(name, String(v), allowed)
  return v as T
}

/** A currency: ISO 4217, taken in any case and stored lowercase as Stripe does. */
export function currency(p: FormObject, name = 'currency'): string | undefined {
  const v = str(p, name, 10)
  if (v === undefined) return undefined
  const c = v.toLowerCase()
  if (!isCurrency(c)) throw StripeErrors.invalidCurrency(v)
  return c
}

/** Metadata: up to 50 keys (40 chars) with values of up to 500 chars; '' unsets a key on update. */
export function metadata(p: FormObject, name = 'metadata'): Record<string, string> | undefined {
  const v: FormValue | undefined = p[name]
  if (v === undefined) return undefined
  if (v === '') return {}
  if (typeof v !== 'object' || Array.isArray(v))
    throw StripeErrors.invalidValue(name, 'Invalid metadata: expected an object of strings')
  const entries = Object.entries(v)
  if (entries.length > 50) throw StripeErrors.invalidValue(name, 'Invalid metadata: at most 50 keys')
  const out: Record<string, string> = {}
  for (const [k, val] of entries) {
    if (
      typeof val !== 'string' ||
      k.length > 40 ||
      val.length > 500 ||
      !isStorableText(k) ||
      !isStorableText(val)
    )
      throw StripeErrors.invalidValue(
        `${name}[${k.slice(0, 40)}]`,
        'Invalid metadata: keys of up to 40 characters, string values of up to 500',
      )
    out[k] = val
  }
  return out
}

/** Merge a metadata update into the stored metadata ('' deletes a key, as Stripe does). */
export function mergeMetadata(stored: Record<string, string>, update: Record<string, string> | undefined) {
  if (update === undefined) return stored
  if (Object.keys(update).length === 0) return {}
  const out = { ...stored }
  for (const [k, v] of Object.entries(update)) {
    if (v === '') delete out[k]
    else out[k] = v
  }
  return out
}

/** expand[]: a list of dotted paths. */
export function expandList(p: FormObject): string[] {
  const v = p.expand
  if (v === undefined) return []
  const list = Array.isArray(v) ? v : [v]
  if (list.length > 20) throw StripeErrors.invalidValue('expand', 'at most 20 expansions')
  return list.map((x) => {
    if (typeof x !== 'string' || !/^[a-z_.]{1,100}$/.test(x))
      throw StripeErrors.invalidValue('expand', 'Invalid expand path')
    return x
  })
}
