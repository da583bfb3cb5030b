/**
 * OpenAPI 3.1 of every route at `/openapi.json`, and Swagger UI at `/docs`.
 * A system that guards its routes declares its security scheme with
 * `app.addSecurityScheme(name, scheme)` (bearer-auth.ts does) before the
 * document is first built; its operations then name it in `security`.
 */
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import { completeOpenApiDocument } from './openapi-document.js'

/** An OpenAPI security scheme object (`components.securitySchemes`). */
export type SecurityScheme =
  | { type: 'http'; scheme: string; bearerFormat?: string; description?: string }
  | { type: 'apiKey'; in: 'header' | 'query' | 'cookie'; name: string; description?: string }

declare module 'fastify' {
  interface FastifyInstance {
    /** Declare an OpenAPI security scheme that route schemas can name in `security`. */
    addSecurityScheme(name: string, scheme: SecurityScheme): void
  }
}

export async function installOpenApi(app: FastifyInstance, systems: { name: string; description: string }[]) {
  // Shared by reference with the document @fastify/swagger builds on the first request.
  const securitySchemes: Record<string, SecurityScheme> = {}
  app.decorate('addSecurityScheme', (name: string, scheme: SecurityScheme) => {
    securitySchemes[name] = scheme
  })
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
      components: { securitySchemes },
    },
    transformObject: ({ openapiObject }: { openapiObject: unknown }) =>
      completeOpenApiDocument(openapiObject),
  } as Parameters<typeof swagger>[1])
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { docExpansion: 'list', deepLinking: true },
  })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
}
