/**
 * Kong's key-auth: an API key in a header or query argument named by `key_names` identifies the
 * consumer. Kong's answers: 401 `No API key found in request`, 401 `Unauthorized` for a wrong key,
 * `WWW-Authenticate: Key realm="..."`; upstream gets X-Consumer-* and X-Credential-Identifier.
 */
import { s } from '../config/fields.js'
import { ConfigViolation, type Plugin } from '../config/types.js'
import { anonymousOr, setConsumerHeaders } from './consumer-headers.js'
import type { PluginDefinition, RequestState } from './types.js'

interface Conf {
  key_names: string[]
  hide_credentials: boolean
  anonymous: string | null
  key_in_header: boolean
  key_in_query: boolean
  run_on_preflight: boolean
  realm: string | null
}

function queryValue(query: string, name: string): { value: string | undefined; rest: string } {
  if (!query) return { value: undefined, rest: query }
  let value: string | undefined
  const kept: string[] = []
  for (const part of query.split('&')) {
    const eq = part.indexOf('=')
    const k = eq === -1 ? part : part.slice(0, eq)
    let key = k
    try {
      key = decodeURIComponent(k.replace(/\+/g, ' '))
    } catch {}
    if (key === name && value === undefined) {
      const raw = eq === -1 ? '' : part.slice(eq + 1)
      try {
        value = decodeURIComponent(raw.replace(/\+/g, ' '))
      } catch {
        value = raw
      }
    } else kept.push(part)
  }
  return { value, rest: kept.join('&') }
}

export const keyAuth: PluginDefinition = {
  name: 'key-auth',
  priority: 1250,
  schema: {
    key_names: s.arr(
      s.str({ max: 128, pattern: /^[A-Za-z0-9_-]+$/, why: 'key names may contain [A-Za-z0-9_-]' }),
      ['apikey'],
    ),
    hide_credentials: s.bool(false),
    anonymous: s.str({ max: 256 }),
    key_in_header: s.bool(true),
    key_in_query: s.bool(true),
    key_in_body: s.bool(false),
    run_on_preflight: s.bool(true),
    realm: s.str({ max: 256 }),
  },
  check(config, path) {
    if (config.key_in_body)
      throw new ConfigViolation(`${path}.key_in_body: reading the key from the body is not supported`)
  },
  create(entity: Plugin) {
    const c = entity.config as unknown as Conf
    const challenge = `Key realm="${c.realm ?? 'kong'}"`
    return {
      entity,
      access(st: RequestState) {
        if (!c.run_on_preflight && st.req.method === 'OPTIONS') return undefined
        let key: string | undefined
        for (const name of c.key_names) {
          const lower = name.toLowerCase()
          if (c.key_in_header) {
            const v = st.req.headers[lower]
            if (typeof v === 'string') {
              key = v
              if (c.hide_credentials) delete st.upstreamHeaders[lower]
              break
            }
          }
          if (c.key_in_query) {
            const q = queryValue(st.query, name)
            if (q.value !== undefined) {
              key = q.value
              if (c.hide_credentials) st.query = q.rest
              break
            }
          }
        }
        const fail = (message: string) =>
          anonymousOr(st, c.anonymous, { status: 401, message, headers: { 'www-authenticate': challenge } })
        if (key === undefined || key === '') return fail('No API key found in request')
        const cred = st.lookup.keyauth(key)
        const consumer = cred && st.lookup.consumer(cred.consumer)
        if (!cred || !consumer) return fail('Unauthorized')
        st.consumer = consumer
        st.credential = { id: cred.id }
        setConsumerHeaders(st, consumer, cred.id)
        return undefined
      },
    }
  },
}
