/**
 * The response's `dynamic_metadata`, as envoyproxy/ratelimit fills it when
 * RESPONSE_DYNAMIC_METADATA is on (our RATE_LIMITER_RESPONSE_DYNAMIC_METADATA):
 * the domain, each descriptor (entries as `key=value`, its limit override
 * and hits), the request's hits, and the `metadata` of every configured
 * descriptor that passed, merged (nested mappings merged, the first value
 * of a key kept). Envoy hands it to the filters after the rate limit filter.
 */
type Json = Record<string, unknown>

/** What of a RateLimitRequest the metadata shows (the engine's request fits it). */
export interface DecidedRequest {
  readonly domain: string
  readonly hitsAddend: number
  readonly descriptors: readonly {
    readonly entries: readonly { readonly key: string; readonly value: string }[]
    readonly limit?: { readonly requestsPerUnit: number; readonly unit: string }
    readonly hitsAddend?: number
  }[]
}

const isMapping = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Merge `src` into `dest`: mappings merge recursively, any other key already in `dest` keeps its value. */
export function mergeMetadata(dest: Json, src: Readonly<Json>): void {
  for (const [k, v] of Object.entries(src)) {
    const d = dest[k]
    if (d === undefined) dest[k] = isMapping(v) ? structuredClone(v) : v
    else if (isMapping(d) && isMapping(v)) mergeMetadata(d, v)
  }
}

/** The dynamic metadata of a decided request; `passed` are the metadata of the descriptors that passed, in order. */
export function dynamicMetadata(req: DecidedRequest, passed: readonly Readonly<Json>[]): Json {
  const out: Json = {
    domain: req.domain,
    descriptors: req.descriptors.map((d) => {
      const s: Json = { entries: d.entries.map((e) => `${e.key}=${e.value}`) }
      if (d.limit) s.limit = `requests_per_unit:${d.limit.requestsPerUnit} unit:${d.limit.unit}`
      if (d.hitsAddend !== undefined) s.hitsAddend = d.hitsAddend
      return s
    }),
  }
  if (req.hitsAddend !== 0) out.hitsAddend = req.hitsAddend
  const merged: Json = {}
  for (const m of passed) mergeMetadata(merged, m)
  if (Object.keys(merged).length > 0) out.metadata = merged
  return out
}

/** Plain JSON as a google.protobuf.Struct in proto-loader's object form (for gRPC). */
export function toStruct(json: Readonly<Json>): { fields: Record<string, unknown> } {
  const value = (v: unknown): unknown => {
    if (v === null || v === undefined) return { nullValue: 'NULL_VALUE' }
    if (typeof v === 'number') return { numberValue: v }
    if (typeof v === 'string') return { stringValue: v }
    if (typeof v === 'boolean') return { boolValue: v }
    if (Array.isArray(v)) return { listValue: { values: v.map(value) } }
    return { structValue: toStruct(v as Json) }
  }
  return { fields: Object.fromEntries(Object.entries(json).map(([k, v]) => [k, value(v)])) }
}

/** A google.protobuf.Struct as proto-loader decodes it, back to plain JSON (tests, clients). */
export function fromStruct(s: { fields?: Record<string, unknown> } | null | undefined): Json {
  const value = (v: unknown): unknown => {
    const o = (v ?? {}) as Record<string, unknown>
    if ('structValue' in o) return fromStruct(o.structValue as { fields?: Record<string, unknown> })
    if ('listValue' in o) return ((o.listValue as { values?: unknown[] }).values ?? []).map(value)
    if ('stringValue' in o) return o.stringValue
    if ('numberValue' in o) return o.numberValue
    if ('boolValue' in o) return o.boolValue
    return null
  }
  return Object.fromEntries(Object.entries(s?.fields ?? {}).map(([k, v]) => [k, value(v)]))
}
