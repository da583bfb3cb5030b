/**
 * Kong's correlation-id: every request carries an id in `header_name` (Kong-Request-ID by default),
 * kept when the client sent one, generated otherwise (`uuid`, `uuid#counter`, or `tracker`), and
 * echoed on the response when `echo_downstream` is set.
 */
import { randomUUID } from 'node:crypto'
import { s } from '../config/fields.js'
import type { Plugin } from '../config/types.js'
import type { PluginDefinition, RequestState } from './types.js'

interface Conf {
  header_name: string
  generator: 'uuid' | 'uuid#counter' | 'tracker'
  echo_downstream: boolean
}

// uuid#counter: one uuid per process, then a counter (cheaper than a uuid per request, still unique).
const processUuid = randomUUID()
let counter = 0

export const correlationId: PluginDefinition = {
  name: 'correlation-id',
  priority: 100_001,
  schema: {
    header_name: s.str({
      max: 256,
      pattern: /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/,
      why: 'must be a header name',
      default: 'Kong-Request-ID',
    }),
    generator: s.oneOf(['uuid', 'uuid#counter', 'tracker'], 'uuid#counter'),
    echo_downstream: s.bool(false),
  },
  create(entity: Plugin) {
    const c = entity.config as unknown as Conf
    const name = c.header_name.toLowerCase()
    const generate = (st: RequestState): string => {
      if (c.generator === 'uuid') return randomUUID()
      if (c.generator === 'uuid#counter') return `${processUuid}#${++counter}`
      const sock = st.req.socket
      return `${sock.localAddress}-${sock.localPort}-${process.pid}-${sock.remoteAddress}-${++counter}-${Date.now() / 1000}`
    }
    return {
      entity,
      access(st: RequestState) {
        const sent = st.req.headers[name]
        const id = typeof sent === 'string' && sent !== '' ? sent : generate(st)
        st.upstreamHeaders[name] = id
        if (c.echo_downstream) st.responseHeaders[name] = id
        return undefined
      },
    }
  },
}
