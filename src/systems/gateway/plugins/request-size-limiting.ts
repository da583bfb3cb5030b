/**
 * Kong's request-size-limiting: a body over `allowed_payload_size` (in `size_unit`) is refused with
 * 413 `Request size limit exceeded` before the upstream sees any of it. A declared Content-Length is
 * checked at once; a chunked body is read up to the limit (the only case where the gateway buffers a
 * request body) and refused as soon as it goes over.
 */
import { s } from '../config/fields.js'
import type { Plugin } from '../config/types.js'
import type { Exit, PluginDefinition, RequestState } from './types.js'

interface Conf {
  allowed_payload_size: number
  size_unit: 'megabytes' | 'kilobytes' | 'bytes'
  require_content_length: boolean
}

const UNIT = { megabytes: 1024 * 1024, kilobytes: 1024, bytes: 1 }

function readUpTo(st: RequestState, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const req = st.req
    const onData = (c: Buffer) => {
      size += c.length
      if (size > limit) {
        req.off('data', onData)
        req.pause()
        resolve(undefined)
        return
      }
      chunks.push(c)
    }
    req.on('data', onData)
    req.once('end', () => resolve(Buffer.concat(chunks)))
    req.once('error', reject)
  })
}

export const requestSizeLimiting: PluginDefinition = {
  name: 'request-size-limiting',
  priority: 951,
  schema: {
    allowed_payload_size: s.int({ min: 0, max: 2_147_483_647, default: 128 }),
    size_unit: s.oneOf(['megabytes', 'kilobytes', 'bytes'], 'megabytes'),
    require_content_length: s.bool(false),
  },
  create(entity: Plugin) {
    const c = entity.config as unknown as Conf
    const limit = c.allowed_payload_size * UNIT[c.size_unit]
    const tooLarge: Exit = { status: 413, message: 'Request size limit exceeded' }
    return {
      entity,
      async access(st: RequestState) {
        const cl = st.req.headers['content-length']
        if (cl !== undefined) return Number(cl) > limit ? tooLarge : undefined
        const chunked = st.req.headers['transfer-encoding'] !== undefined
        if (!chunked)
          return c.require_content_length
            ? { status: 411, message: 'A valid Content-Length header is required' }
            : undefined
        if (c.require_content_length)
          return { status: 411, message: 'A valid Content-Length header is required' }
        const body = await readUpTo(st, limit)
        if (body === undefined) return tooLarge
        st.body = body
        return undefined
      },
    }
  },
}
