/**
 * Kong's cors plugin: a preflight (OPTIONS with Origin and Access-Control-Request-Method) is answered
 * by the gateway (200, unless `preflight_continue`), other requests get the CORS response headers.
 * `origins` entries are exact origins, `*`, or regular expressions (as Kong's PCRE ones).
 */
import { s } from '../config/fields.js'
import type { Plugin } from '../config/types.js'
import type { PluginDefinition, RequestState } from './types.js'

interface Conf {
  origins: string[] | null
  headers: string[] | null
  exposed_headers: string[] | null
  methods: string[]
  max_age: number | null
  credentials: boolean
  private_network: boolean
  preflight_continue: boolean
  allow_origin_absent: boolean
}

const METHODS = ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']

function originTest(entry: string): (origin: string) => boolean {
  // Kong treats an entry with regex characters as a regex matched against the whole origin.
  if (/^[A-Za-z0-9.:/-]+$/.test(entry)) return (o) => o === entry
  const re = new RegExp(`^(?:${entry})$`)
  return (o) => re.test(o)
}

export const cors: PluginDefinition = {
  name: 'cors',
  priority: 2000,
  schema: {
    origins: s.arr(s.str({ max: 512 })),
    headers: s.arr(s.str({ max: 256 })),
    exposed_headers: s.arr(s.str({ max: 256 })),
    methods: s.arr(s.oneOf(METHODS), METHODS),
    max_age: s.num({ gt: -1, max: 1e9 }),
    credentials: s.bool(false),
    private_network: s.bool(false),
    preflight_continue: s.bool(false),
    allow_origin_absent: s.bool(true),
  },
  create(entity: Plugin) {
    const c = entity.config as unknown as Conf
    const any = !c.origins?.length || c.origins.includes('*')
    const tests = (c.origins ?? []).filter((o) => o !== '*').map(originTest)
    const allowOrigin = (origin: string | undefined): string | undefined => {
      if (any) return c.credentials && origin ? origin : '*'
      if (origin && tests.some((t) => t(origin))) return origin
      return undefined
    }
    const setCommon = (st: RequestState, origin: string | undefined) => {
      const allowed = allowOrigin(origin)
      if (allowed) st.responseHeaders['access-control-allow-origin'] = allowed
      if (allowed !== '*') st.responseHeaders.vary = 'Origin'
      if (c.credentials) st.responseHeaders['access-control-allow-credentials'] = 'true'
    }
    return {
      entity,
      access(st: RequestState) {
        const origin = st.req.headers.origin
        if (!origin && !c.allow_origin_absent) return undefined
        const preflight =
          st.req.method === 'OPTIONS' && st.req.headers['access-control-request-method'] !== undefined
        if (!preflight) {
          setCommon(st, origin)
          if (c.exposed_headers?.length)
            st.responseHeaders['access-control-expose-headers'] = c.exposed_headers.join(',')
          return undefined
        }
        if (c.preflight_continue) return undefined
        setCommon(st, origin)
        const reqHeaders = st.req.headers['access-control-request-headers']
        const allowHeaders = c.headers?.length ? c.headers.join(',') : reqHeaders
        if (allowHeaders) st.responseHeaders['access-control-allow-headers'] = String(allowHeaders)
        st.responseHeaders['access-control-allow-methods'] = c.methods.join(',')
        if (c.max_age !== null) st.responseHeaders['access-control-max-age'] = String(c.max_age)
        if (c.private_network && st.req.headers['access-control-request-private-network'] === 'true')
          st.responseHeaders['access-control-allow-private-network'] = 'true'
        return { status: 200 }
      },
    }
  },
}
