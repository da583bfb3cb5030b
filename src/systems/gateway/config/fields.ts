/**
 * A small schema language for Kong's entities and plugin configs: each field has a type, a default
 * and bounds, and validation fills the defaults in. A field we do not know (or know from Kong but do
 * not implement) is refused with its path, so a config never silently means less than it says.
 */
import { isStorableText } from '../../../platform/text/storable.js'
import { ConfigViolation, type Json } from './types.js'

export type Field =
  | {
      t: 'string'
      default?: string | null
      max?: number
      pattern?: RegExp
      required?: boolean
      why?: string
      /** Line breaks allowed (PEM keys); elsewhere refused, since many values end up in headers. */
      multiline?: boolean
    }
  | { t: 'int'; default?: number | null; min?: number; max?: number; required?: boolean }
  | { t: 'number'; default?: number | null; gt?: number; max?: number; required?: boolean }
  | { t: 'bool'; default?: boolean | null; required?: boolean }
  | { t: 'enum'; values: readonly string[]; default?: string | null; required?: boolean }
  | { t: 'array'; of: Field; default?: unknown[] | null; max?: number; required?: boolean }
  | { t: 'record'; fields: Record<string, Field>; required?: boolean; nullable?: boolean }
  | { t: 'map'; of: Field; max?: number; default?: Json | null }

export type Schema = Record<string, Field>

const MAX_STRING = 4096

function fail(path: string, reason: string): never {
  throw new ConfigViolation(`${path}: ${reason}`, { [path]: reason })
}

/** A key as it can appear in a message (and in a JSON or database string). */
function safeKey(k: string): string {
  return isStorableText(k)
    ? k.slice(0, 128)
    : JSON.stringify(k.slice(0, 64)).replace(/\\u0000|\\ud[89a-f]../gi, '?')
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function defaultOf(f: Field): unknown {
  if (f.t === 'record') return f.nullable ? null : validateRecord(f.fields, {}, '')
  return 'default' in f ? structuredClone(f.default) : null
}

export function validateField(f: Field, v: unknown, path: string): unknown {
  if (v === undefined || v === null) {
    if ('required' in f && f.required && defaultOf(f) === null) fail(path, 'required field missing')
    if (f.t === 'record' && v === null && f.nullable) return null
    return defaultOf(f)
  }
  switch (f.t) {
    case 'string': {
      if (typeof v !== 'string') fail(path, 'expected a string')
      if (v.length > (f.max ?? MAX_STRING)) fail(path, `length must be at most ${f.max ?? MAX_STRING}`)
      if ((!f.multiline && /[\r\n]/.test(v)) || !isStorableText(v))
        fail(path, 'must not contain NUL, CR, LF or lone surrogates')
      if (f.pattern && !f.pattern.test(v)) fail(path, f.why ?? `invalid value ${JSON.stringify(v)}`)
      return v
    }
    case 'int':
    case 'number': {
      if (typeof v !== 'number' || !Number.isFinite(v))
        fail(path, `expected ${f.t === 'int' ? 'an integer' : 'a number'}`)
      if (f.t === 'int' && !Number.isInteger(v)) fail(path, 'expected an integer')
      if (f.t === 'int' && f.min !== undefined && v < f.min)
        fail(path, `value should be between ${f.min} and ${f.max}`)
      if (f.t === 'number' && f.gt !== undefined && v <= f.gt)
        fail(path, `value must be greater than ${f.gt}`)
      if (f.max !== undefined && v > f.max) fail(path, `value must be at most ${f.max}`)
      return v
    }
    case 'bool':
      if (typeof v !== 'boolean') fail(path, 'expected a boolean')
      return v
    case 'enum':
      if (typeof v !== 'string' || !f.values.includes(v))
        fail(path, `expected one of: ${f.values.join(', ')}`)
      return v
    case 'array': {
      if (!Array.isArray(v)) fail(path, 'expected an array')
      if (v.length > (f.max ?? 1000)) fail(path, `at most ${f.max ?? 1000} items`)
      return v.map((item, i) => validateField(f.of, item, `${path}[${i}]`))
    }
    case 'record':
      if (!isObject(v)) fail(path, 'expected a record')
      return validateRecord(f.fields, v, path)
    case 'map': {
      if (!isObject(v)) fail(path, 'expected a map')
      const out: Json = {}
      const entries = Object.entries(v)
      if (entries.length > (f.max ?? 100)) fail(path, `at most ${f.max ?? 100} entries`)
      for (const [k, item] of entries) {
        if (!/^[A-Za-z0-9_.-]{1,256}$/.test(k))
          fail(`${path}`, `invalid key ${JSON.stringify(k.slice(0, 64))}`)
        out[k] = validateField(f.of, item, `${path}.${k}`)
      }
      return out
    }
  }
}

/** Validate `v` against `schema`: unknown keys refused, defaults filled. `path` prefixes messages. */
export function validateRecord(schema: Schema, v: Json, path: string): Json {
  const out: Json = {}
  for (const key of Object.keys(v))
    if (!Object.hasOwn(schema, key))
      fail(path ? `${path}.${safeKey(key)}` : safeKey(key), 'unknown field (not supported by this gateway)')
  for (const [key, f] of Object.entries(schema))
    out[key] = validateField(f, Object.hasOwn(v, key) ? v[key] : undefined, path ? `${path}.${key}` : key)
  return out
}

// Shorthands for the schemas.
export const s = {
  str: (o: Omit<Extract<Field, { t: 'string' }>, 't'> = {}): Field => ({ t: 'string', ...o }),
  int: (o: Omit<Extract<Field, { t: 'int' }>, 't'> = {}): Field => ({ t: 'int', ...o }),
  num: (o: Omit<Extract<Field, { t: 'number' }>, 't'> = {}): Field => ({ t: 'number', ...o }),
  bool: (def: boolean | null = null): Field => ({ t: 'bool', default: def }),
  oneOf: (values: readonly string[], def: string | null = null): Field => ({
    t: 'enum',
    values,
    default: def,
  }),
  arr: (of: Field, def: unknown[] | null = null, max?: number): Field => ({
    t: 'array',
    of,
    default: def,
    max,
  }),
  rec: (fields: Schema, nullable = false): Field => ({ t: 'record', fields, nullable }),
  map: (of: Field): Field => ({ t: 'map', of }),
}

export const TAGS = s.arr(s.str({ max: 128 }))
export const STATUS = s.int({ min: 100, max: 999 })
