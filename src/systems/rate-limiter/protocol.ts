/**
 * The RateLimitRequest and RateLimitResponse of Envoy's RLS v3 as plain
 * objects: checking a request that came over gRPC or as JSON (the proto's
 * JSON mapping: camelCase, with snake_case accepted as protojson does), and
 * rendering a response in that mapping. Both adapters share this, so a bad
 * request gets the same message whichever way it came.
 */
import type { Unit } from './config-model.js'
import { UNIT_NUMBERS, UNIT_SECONDS } from './config-model.js'
import { MAX_HITS, type RateLimitRequest, type RateLimitResponse, type RequestDescriptor } from './engine.js'
import type { Entry } from './matcher.js'

/** A request that cannot be decided; `field` names the offending place, e.g. `descriptors[0].entries[1].value`. */
export class RequestError extends Error {
  override name = 'RequestError'
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`)
  }
}

export interface RequestLimits {
  maxDescriptors: number
  maxEntries: number
  /** Longest domain, key or value, in characters. */
  maxLength: number
}

type Obj = Record<string, unknown>

/** A field by its protojson name or its proto name; both at once is refused, as protojson parsers do. */
function pick(o: Obj, camel: string, snake: string, field: string): unknown {
  if (o[camel] !== undefined && o[snake] !== undefined)
    throw new RequestError(field, `given twice (as ${camel} and ${snake})`)
  return o[camel] !== undefined ? o[camel] : o[snake]
}

function text(v: unknown, field: string, max: number): string {
  if (typeof v !== 'string' || v.length === 0) throw new RequestError(field, 'must be a non-empty string')
  if (v.length > max) throw new RequestError(field, `must be at most ${max} characters`)
  return v
}

/** A uint32/uint64 count as protojson writes it: a number or a decimal string. 0 when absent. */
function hits(v: unknown, field: string): number {
  if (v === undefined || v === null) return 0
  // google.protobuf.UInt64Value arrives as { value } over gRPC, and as a bare value in JSON.
  const raw = typeof v === 'object' && v !== null && 'value' in v ? (v as Obj).value : v
  const n = typeof raw === 'string' && /^\d{1,20}$/.test(raw) ? Number(raw) : raw
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0)
    throw new RequestError(field, 'must be a non-negative integer')
  if (n > MAX_HITS) throw new RequestError(field, `must be at most ${MAX_HITS}`)
  return n
}

function unit(v: unknown, field: string): Unit {
  const name = typeof v === 'string' ? v.toUpperCase() : typeof v === 'number' ? UNIT_NUMBERS[v] : undefined
  if (!name || !Object.hasOwn(UNIT_SECONDS, name))
    throw new RequestError(field, `must be one of ${Object.keys(UNIT_SECONDS).join(', ')}`)
  return name as Unit
}

function entries(v: unknown, field: string, limits: RequestLimits): Entry[] {
  if (!Array.isArray(v) || v.length === 0) throw new RequestError(field, 'must be a non-empty list')
  if (v.length > limits.maxEntries)
    throw new RequestError(field, `must have at most ${limits.maxEntries} entries`)
  return v.map((e, j) => {
    const at = `${field}[${j}]`
    if (typeof e !== 'object' || e === null)
      throw new RequestError(at, 'must be an object with key and value')
    const o = e as Obj
    return {
      key: text(o.key, `${at}.key`, limits.maxLength),
      value: text(o.value, `${at}.value`, limits.maxLength),
    }
  })
}

function descriptor(v: unknown, field: string, limits: RequestLimits): RequestDescriptor {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new RequestError(field, 'must be an object')
  const o = v as Obj
  const d: { entries: Entry[]; limit?: RequestDescriptor['limit']; hitsAddend?: number } = {
    entries: entries(o.entries, `${field}.entries`, limits),
  }
  if (o.limit !== undefined && o.limit !== null) {
    if (typeof o.limit !== 'object' || Array.isArray(o.limit))
      throw new RequestError(`${field}.limit`, 'must be an object with requestsPerUnit and unit')
    const l = o.limit as Obj
    // protojson reads a uint32 as a number or a decimal string.
    const given = pick(l, 'requestsPerUnit', 'requests_per_unit', `${field}.limit.requestsPerUnit`) ?? 0
    const rpu = typeof given === 'string' && /^\d{1,10}$/.test(given) ? Number(given) : given
    if (typeof rpu !== 'number' || !Number.isInteger(rpu) || rpu < 0 || rpu > 4_294_967_295)
      throw new RequestError(`${field}.limit.requestsPerUnit`, 'must be an integer from 0 to 4294967295')
    d.limit = { requestsPerUnit: rpu, unit: unit(l.unit, `${field}.limit.unit`) }
  }
  const h = hits(pick(o, 'hitsAddend', 'hits_addend', `${field}.hitsAddend`), `${field}.hitsAddend`)
  if (h > 0) d.hitsAddend = h
  return d
}

/** Check and normalise a RateLimitRequest (JSON mapping or proto-loader object); throws RequestError. */
export function parseRequest(raw: unknown, limits: RequestLimits): RateLimitRequest {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new RequestError('body', 'must be a RateLimitRequest object')
  const o = raw as Obj
  const domain = text(o.domain, 'domain', limits.maxLength)
  const list = o.descriptors
  if (!Array.isArray(list) || list.length === 0)
    throw new RequestError('descriptors', 'must be a non-empty list')
  if (list.length > limits.maxDescriptors)
    throw new RequestError('descriptors', `must have at most ${limits.maxDescriptors} descriptors`)
  return {
    domain,
    descriptors: list.map((d, i) => descriptor(d, `descriptors[${i}]`, limits)),
    hitsAddend: hits(pick(o, 'hitsAddend', 'hits_addend', 'hitsAddend'), 'hitsAddend'),
  }
}

/** A duration in protojson form: "1.250s". */
export function durationJson(ms: number): string {
  const s = Math.floor(ms / 1000)
  const rest = ms % 1000
  return rest === 0 ? `${s}s` : `${s}.${String(rest).padStart(3, '0')}s`
}

/** A response in the proto's JSON mapping, as envoyproxy/ratelimit's /json endpoint answers. */
export function responseJson(res: RateLimitResponse) {
  return {
    overallCode: res.overallCode,
    statuses: res.statuses.map((s) => ({
      code: s.code,
      ...(s.currentLimit ? { currentLimit: s.currentLimit } : {}),
      limitRemaining: s.limitRemaining,
      durationUntilReset: durationJson(s.durationUntilResetMs),
    })),
    ...(res.dynamicMetadata ? { dynamicMetadata: res.dynamicMetadata } : {}),
  }
}
