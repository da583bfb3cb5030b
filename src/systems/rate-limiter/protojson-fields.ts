/**
 * The fields of a RateLimitRequest in protobuf's JSON mapping, each under both names protojson
 * reads (the lowerCamelCase JSON name and the proto field name). envoyproxy/ratelimit's `/json`
 * endpoint parses with `protojson.Unmarshal`, whose default refuses a field the message does not
 * have (HTTP 400); ours does the same, naming it, so a typo (`hitAddend`) is not silently a 1.
 * gRPC requests never reach this: protobuf decoding keeps only the message's own fields.
 */
import { RequestError } from './protocol.js'

/** Each message's fields by either name, and the message a nested field holds. */
const MESSAGES: Record<string, Record<string, string | null>> = {
  RateLimitRequest: { domain: null, descriptors: 'RateLimitDescriptor', hitsAddend: null, hits_addend: null },
  RateLimitDescriptor: { entries: 'Entry', limit: 'RateLimitOverride', hitsAddend: null, hits_addend: null },
  Entry: { key: null, value: null },
  RateLimitOverride: { requestsPerUnit: null, requests_per_unit: null, unit: null },
}

/** Throw a RequestError naming the first field of `body` that its message does not have. */
export function refuseUnknownFields(body: unknown, message = 'RateLimitRequest', path = ''): void {
  if (Array.isArray(body)) {
    for (let i = 0; i < body.length; i++) refuseUnknownFields(body[i], message, `${path}[${i}]`)
    return
  }
  if (typeof body !== 'object' || body === null) return
  const fields = MESSAGES[message] as Record<string, string | null>
  for (const [key, value] of Object.entries(body)) {
    const at = path === '' ? key : `${path}.${key}`
    if (!Object.hasOwn(fields, key)) throw new RequestError(at, `is not a field of ${message}`)
    const nested = fields[key]
    if (nested) refuseUnknownFields(value, nested, at)
  }
}
