/** OpenAPI 3.1 of every route at `/openapi.json`, and Swagger UI at `/docs`. */
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'

export async function installOpenApi(app: FastifyInstance, systems: { name: string; description: string }[]) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Blueprints',
        version: '0.1.0',
        description: 'The classic backend systems, built for real. Errors are RFC 9457 problem+json.',
      },
      tags: [
        { name: 'platform', description: 'Health, readiness, metrics' },
        ...systems.map((s) => ({ name: s.name, description: s.description })),
      ],
    },
  })
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { docExpansion: 'list', deepLinking: true },
  })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
}
