/**
 * The platform's own benchmark: what the shared kernel (request ids, RED
 * metrics, trace context, CORS, problem+json, health, OpenAPI) costs on top
 * of Fastify for the cheapest possible route. Every system's numbers sit on
 * top of this one, so it has a goal of its own: at least 85% of bare
 * Fastify's throughput on a trivial route.
 *
 * One platform server and one bare Fastify serve both scenarios (the same
 * start function is shared; see bench/README.md): the platform boots PGlite,
 * which takes seconds.
 */
import { startBareFastify, startFixturePlatform } from '../harness/servers.js'
import type { BenchSuite, StartedServer } from '../types.js'

const platform = (): Promise<StartedServer> => startFixturePlatform()
const bare = (): Promise<StartedServer> => startBareFastify()

const suite: BenchSuite = {
  system: 'platform',
  scenarios: [
    {
      name: 'trivial-route',
      description:
        'GET /fixture/ping -> 200 {"ok":true} (response schema): the full platform at its defaults ' +
        '(LOG_LEVEL=info, request ids, metrics, trace context, PGlite) vs the same route on bare Fastify 5.',
      subjects: [
        {
          name: 'blueprints',
          role: 'system',
          start: platform,
          load: { kind: 'http', path: '/fixture/ping' },
        },
        {
          name: 'bare fastify',
          role: 'baseline',
          start: bare,
          load: { kind: 'http', path: '/fixture/ping' },
        },
      ],
      goals: { 'bare fastify': 0.85 },
    },
    {
      name: 'not-found',
      description:
        'GET /fixture/nope -> 404: the platform answers RFC 9457 problem+json (after checking which ' +
        "methods would match, for 405) vs bare Fastify's default 404 JSON. Informational: no goal.",
      subjects: [
        {
          name: 'blueprints',
          role: 'system',
          start: platform,
          load: { kind: 'http', path: '/fixture/nope', expectStatus: [404] },
        },
        {
          name: 'bare fastify',
          role: 'baseline',
          start: bare,
          load: { kind: 'http', path: '/fixture/nope', expectStatus: [404] },
        },
      ],
    },
  ],
}

export default suite
