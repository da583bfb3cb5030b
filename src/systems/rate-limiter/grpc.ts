/**
 * `envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit` over gRPC
 * (HTTP/2, plaintext), on its own port as envoyproxy/ratelimit serves it
 * (8081 by default). A malformed request is INVALID_ARGUMENT with the field
 * named, never a crash, and so are bytes that are not a RateLimitRequest at
 * all (grpc-js would answer INTERNAL for a message it cannot decode); a
 * message over the size limit is refused by grpc-js with RESOURCE_EXHAUSTED
 * before it is decoded.
 */
import { fileURLToPath } from 'node:url'
import * as grpc from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'
import type { Logger } from '../../platform/telemetry/logger.js'
import { toStruct } from './dynamic-metadata.js'
import type { RateLimitEngine, RateLimitResponse } from './engine.js'
import { parseRequest, RequestError, type RequestLimits } from './protocol.js'

const PROTO_ROOT = fileURLToPath(new URL('./proto/', import.meta.url))
const RLS_PROTO = 'envoy/service/ratelimit/v3/rls.proto'

/** The loaded RLS package definition (also used by tests and the bench to build a client). */
export function loadRlsDefinition(): grpc.GrpcObject {
  const def = protoLoader.loadSync(RLS_PROTO, {
    includeDirs: [PROTO_ROOT],
    keepCase: false,
    longs: Number,
    enums: String,
    defaults: false,
    oneofs: true,
  })
  return grpc.loadPackageDefinition(def)
}

/** The service constructor of RateLimitService, for servers and clients. */
export function rlsService(defs = loadRlsDefinition()): grpc.ServiceClientConstructor {
  const v3 = (defs.envoy as grpc.GrpcObject).service as grpc.GrpcObject
  return ((v3.ratelimit as grpc.GrpcObject).v3 as grpc.GrpcObject)
    .RateLimitService as grpc.ServiceClientConstructor
}

/** A response as proto-loader objects (enum names, Duration as seconds/nanos). */
export function responseMessage(res: RateLimitResponse, headers?: { key: string; value: string }[]) {
  return {
    overallCode: res.overallCode,
    statuses: res.statuses.map((s) => ({
      code: s.code,
      currentLimit: s.currentLimit,
      limitRemaining: s.limitRemaining,
      durationUntilReset: {
        seconds: Math.floor(s.durationUntilResetMs / 1000),
        nanos: (s.durationUntilResetMs % 1000) * 1_000_000,
      },
    })),
    responseHeadersToAdd: headers ?? [],
    ...(res.dynamicMetadata ? { dynamicMetadata: toStruct(res.dynamicMetadata) } : {}),
  }
}

export interface GrpcServerOptions {
  host: string
  port: number
  limits: RequestLimits
  /** Largest request accepted, in bytes. */
  maxMessageBytes: number
  log: Logger
  /** Response headers for Envoy to add (RATE_LIMITER_RESPONSE_HEADERS), or undefined. */
  headersOf?: (res: RateLimitResponse) => { key: string; value: string }[] | undefined
}

export interface RlsServer {
  /** The bound port (useful with port 0). */
  readonly port: number
  close(): Promise<void>
}

/** Marks a request whose bytes did not decode; the handler answers INVALID_ARGUMENT. */
const UNDECODABLE = Symbol('undecodable')

/** The service definition with a decoder that turns undecodable bytes into a marked request instead of throwing. */
function tolerantDefinition(def: grpc.ServiceDefinition): grpc.ServiceDefinition {
  const out: Record<string, grpc.MethodDefinition<unknown, unknown>> = {}
  for (const [name, m] of Object.entries(def)) {
    out[name] = {
      ...m,
      requestDeserialize: (bytes: Buffer) => {
        try {
          return m.requestDeserialize(bytes)
        } catch (err) {
          return { [UNDECODABLE]: (err as Error).message }
        }
      },
    }
  }
  return out as grpc.ServiceDefinition
}

/** Start the gRPC server. */
export async function startGrpcServer(engine: RateLimitEngine, opts: GrpcServerOptions): Promise<RlsServer> {
  // grpc-js writes its own errors to stderr ("No address added..."); what matters reaches us as a
  // rejected bind or a failed call, so its lines go to our log at debug level instead.
  grpc.setLogger({ error: (...args: unknown[]) => opts.log.debug({ grpc: args.join(' ') }, 'grpc-js') })
  const server = new grpc.Server({
    'grpc.max_receive_message_length': opts.maxMessageBytes,
    'grpc.max_send_message_length': 4 * 1024 * 1024,
  })
  server.addService(tolerantDefinition(rlsService().service), {
    shouldRateLimit(call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) {
      const undecodable = (call.request as { [UNDECODABLE]?: string })[UNDECODABLE]
      if (undecodable !== undefined)
        return callback({
          code: grpc.status.INVALID_ARGUMENT,
          details: `the message is not a RateLimitRequest: ${undecodable}`,
        })
      let req: ReturnType<typeof parseRequest>
      try {
        req = parseRequest(call.request, opts.limits)
      } catch (err) {
        if (err instanceof RequestError)
          return callback({ code: grpc.status.INVALID_ARGUMENT, details: err.message })
        return callback({ code: grpc.status.INTERNAL, details: 'internal error' })
      }
      engine.shouldRateLimit(req).then(
        (res) => callback(null, responseMessage(res, opts.headersOf?.(res))),
        (err) => {
          opts.log.error({ err }, 'rate limiter: gRPC decision failed')
          callback({ code: grpc.status.INTERNAL, details: 'internal error' })
        },
      )
    },
  })
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${opts.host}:${opts.port}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  )
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        // Finish calls in flight, but never wait on a client that keeps a stream open.
        const force = setTimeout(() => server.forceShutdown(), 2_000)
        server.tryShutdown(() => {
          clearTimeout(force)
          resolve()
        })
      }),
  }
}
