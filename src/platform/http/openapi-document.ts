/**
 * What the platform adds to the OpenAPI document @fastify/swagger builds from the route schemas,
 * so that every operation says what a client (and a linter's recommended rules) needs:
 * an `operationId`, its security (`security: []` states a public operation; a guarded one names
 * its scheme), and the client errors every route can answer (problem+json), plus a server.
 */

/** RFC 9457 problem details, as every system answers errors (the URL shortener in Shlink's shape). */
export const PROBLEM_SCHEMA = {
  type: 'object',
  description: 'RFC 9457 problem details',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    code: { type: 'string', description: 'stable error code, listed in the system README' },
    requestId: { type: 'string' },
    invalidParams: {
      type: 'array',
      description: 'the fields refused, as the client writes them',
      items: {
        type: 'object',
        properties: { name: { type: 'string' }, reason: { type: 'string' } },
        required: ['name', 'reason'],
      },
    },
  },
  required: ['type', 'title', 'status'],
} as const

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']

// biome-ignore lint/suspicious/noExplicitAny: the OpenAPI document is plain JSON here
type Json = any

/** Complete the document in place (it is built once and cached by @fastify/swagger) and return it. */
export function completeOpenApiDocument(doc: Json): Json {
  doc.servers ??= [{ url: '/', description: 'this server: every path is absolute' }]
  doc.components ??= {}
  doc.components.schemas = { ...doc.components.schemas, Problem: PROBLEM_SCHEMA }
  const used = new Set<string>()
  for (const [path, item] of Object.entries(doc.paths ?? {}) as [string, Json][]) {
    for (const method of METHODS) {
      const op = item[method]
      if (!op) continue
      op.operationId ??= uniqueId(operationIdOf(method, path), used)
      used.add(op.operationId)
      // An operation without a scheme is public; saying so is what tells a reader it was not forgotten.
      op.security ??= []
      op.responses ??= {}
      if (!Object.keys(op.responses).some((code) => code.startsWith('4')))
        op.responses['4XX'] = {
          description: 'A client error: bad input, unknown resource, wrong method or media type',
          content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
        }
    }
  }
  return doc
}

/** `get /jobs/queues/{queue}/jobs` -> `getJobsQueuesByQueueJobs`. */
export function operationIdOf(method: string, path: string): string {
  const words = path
    .split('/')
    .filter(Boolean)
    .map((seg) => {
      const param = /^\{(.+)\}$/.exec(seg)
      return param ? `By-${param[1]}` : seg
    })
    .join('-')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
  return method.toLowerCase() + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('')
}

/** `id`, or `id2`, `id3`... when taken. */
function uniqueId(id: string, used: Set<string>): string {
  if (!used.has(id)) return id
  let n = 2
  while (used.has(`${id}${n}`)) n++
  return `${id}${n}`
}
