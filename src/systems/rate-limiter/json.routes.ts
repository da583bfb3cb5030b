/**
 * `POST /rate-limiter/json`: ShouldRateLimit over HTTP, as envoyproxy/ratelimit's
 * `/json` endpoint does it. The body is a RateLimitRequest in the proto's JSON
 * mapping; the answer is a RateLimitResponse, with HTTP 200 for OK and 429 for
 * OVER_LIMIT. A malformed request is a 400 problem+json naming the field.
 * The body is checked as protobuf's JSON mapping reads it, before the schema
 * validator could coerce it: `"domain": 5` is refused, not read as "5"; a field
 * the message does not have is refused too, as protojson's default does.
 */
import { Type } from '@sinclair/typebox'
import { AppError } from '../../platform/errors.js'
import type { TypedApp } from '../../platform/http/types.js'
import type { RateLimitEngine, RateLimitRequest } from './engine.js'
import { parseRequest, RequestError, type RequestLimits, responseJson } from './protocol.js'
import { refuseUnknownFields } from './protojson-fields.js'

const Entry = Type.Object({ key: Type.String(), value: Type.String() })
const Descriptor = Type.Object(
  {
    entries: Type.Array(Entry, { description: 'Hierarchical key/value pairs, most general first' }),
    limit: Type.Optional(
      Type.Object(
        {
          requestsPerUnit: Type.Optional(
            Type.Union([Type.Integer({ minimum: 0 }), Type.String()], {
              description: 'or requests_per_unit; a number or a decimal string (protojson uint32)',
            }),
          ),
          unit: Type.Union([Type.String(), Type.Integer()], {
            description: 'SECOND, MINUTE, HOUR, DAY, WEEK, MONTH or YEAR (or the enum number)',
          }),
        },
        { additionalProperties: true },
      ),
    ),
    hitsAddend: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.String()])),
  },
  { additionalProperties: true },
)
export const RateLimitRequestSchema = Type.Object(
  {
    domain: Type.String({ description: 'The configuration domain' }),
    descriptors: Type.Array(Descriptor),
    hitsAddend: Type.Optional(
      Type.Union([Type.Integer({ minimum: 0 }), Type.String()], {
        description: 'Hits this request adds (default 1)',
      }),
    ),
  },
  { additionalProperties: true, description: 'envoy.service.ratelimit.v3.RateLimitRequest (JSON mapping)' },
)
const Status = Type.Object({
  code: Type.Union([Type.Literal('OK'), Type.Literal('OVER_LIMIT')]),
  currentLimit: Type.Optional(
    Type.Object({ requestsPerUnit: Type.Integer(), unit: Type.String(), name: Type.Optional(Type.String()) }),
  ),
  limitRemaining: Type.Integer(),
  durationUntilReset: Type.String({ description: 'protojson Duration, e.g. "0.250s"' }),
})
const RateLimitResponseSchema = Type.Object(
  {
    overallCode: Type.Union([Type.Literal('OK'), Type.Literal('OVER_LIMIT')]),
    statuses: Type.Array(Status),
    dynamicMetadata: Type.Optional(
      Type.Object({}, { additionalProperties: true, description: 'RATE_LIMITER_RESPONSE_DYNAMIC_METADATA' }),
    ),
  },
  { description: 'envoy.service.ratelimit.v3.RateLimitResponse (JSON mapping)' },
)

/** Turn a protocol RequestError into the 400 problem the platform renders. */
export function badRequest(err: RequestError): AppError {
  return new AppError('RATE_LIMITER_INVALID_REQUEST', 400, err.message, {
    extensions: { invalidParams: [{ name: err.field, reason: err.reason }] },
  })
}

export function jsonRoutes(app: TypedApp, engine: RateLimitEngine, limits: RequestLimits): void {
  const parsed = new WeakMap<object, RateLimitRequest>()
  app.post(
    '/json',
    {
      // Before validation: the validator coerces types (5 -> "5"), protobuf's JSON mapping does not.
      preValidation: async (request) => {
        try {
          refuseUnknownFields(request.body)
          parsed.set(request, parseRequest(request.body, limits))
        } catch (err) {
          if (err instanceof RequestError) throw badRequest(err)
          throw err
        }
      },
      schema: {
        summary: 'Decide a RateLimitRequest (Envoy RLS v3, JSON mapping)',
        body: RateLimitRequestSchema,
        response: { 200: RateLimitResponseSchema, 429: RateLimitResponseSchema },
      },
    },
    async (request, reply) => {
      const res = await engine.shouldRateLimit(parsed.get(request) ?? parseRequest(request.body, limits))
      return reply.code(res.overallCode === 'OK' ? 200 : 429).send(responseJson(res))
    },
  )
}
