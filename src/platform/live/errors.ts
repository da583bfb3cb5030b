/**
 * The errors of the live transport, one catalog per endpoint. Every code is the endpoint's prefix
 * and a fixed suffix (`CHAT_MALFORMED_FRAME` on chat's endpoint, `LIVE_MALFORMED_FRAME` on the
 * platform's), so a system that had its own transport keeps its error codes word for word. One
 * error, two renderings: problem+json over HTTP (the platform's error handler renders any
 * AppError) and an `error` frame on the socket transports (`errorFrame`).
 */
import { AppError } from '../errors.js'
import { UNSTORABLE_REASON } from '../http/storable-text.js'

/** An error of the live transport (its code carries the endpoint's prefix). */
export class LiveError extends AppError {
  override name = 'LiveError'
}

/** The errors an endpoint answers with, their codes under `prefix`; `noun` names a stream in messages ("room"). */
export function liveErrors(prefix: string, noun: string) {
  const e = (
    code: string,
    status: number,
    message: string,
    opts?: ConstructorParameters<typeof AppError>[3],
  ) => new LiveError(`${prefix}_${code}`, status, message, opts)
  return {
    prefix,
    unauthenticated: (detail: string) => e('UNAUTHENTICATED', 401, detail),
    tokenRevoked: () => e('TOKEN_REVOKED', 401, 'the token has been revoked'),
    tokenExpired: () =>
      e('TOKEN_EXPIRED', 401, 'the token of this connection expired; reconnect with a new one'),
    /** Text PostgreSQL cannot store: the platform's code (`UNSTORABLE_TEXT`), the same on every transport. */
    unstorable: (field: string) =>
      new LiveError('UNSTORABLE_TEXT', 400, `${field} ${UNSTORABLE_REASON}`, {
        extensions: { invalidParams: [{ name: field, reason: UNSTORABLE_REASON }] },
      }),
    forbidden: (detail: string) => e('FORBIDDEN', 403, detail),
    frameTooLarge: (limit: number) => e('FRAME_TOO_LARGE', 413, `the frame exceeds ${limit} bytes`),
    malformed: (detail: string) => e('MALFORMED_FRAME', 400, detail),
    unknownType: (type: string) =>
      e('UNKNOWN_TYPE', 400, `unknown frame type ${JSON.stringify(type.slice(0, 40))}`),
    /** A frame of a version this connection does not speak; names every version the server speaks. */
    badVersion: (asked: unknown, spoken: number, versions: readonly number[]) =>
      e(
        'UNSUPPORTED_VERSION',
        400,
        `protocol ${typeof asked === 'number' ? `v${asked}` : JSON.stringify(asked ?? null)} is not spoken on this connection: ` +
          `this server speaks ${versions.map((v) => `v${v}`).join(' and ')}, this connection ` +
          (spoken >= versions.at(-1)!
            ? `speaks all of them`
            : `speaks v${spoken} (connect with ?v=${versions.at(-1)} for v${versions.at(-1)})`),
        { extensions: { versions: [...versions], connection: spoken } },
      ),
    futureOffset: (name: string | number, offset: number, head: number) =>
      e(
        'OFFSET_FROM_FUTURE',
        400,
        `offset ${offset} is past the head of ${noun} ${name} (${head}); resume from ${head} or lower`,
        { extensions: { head } },
      ),
    rateLimited: (retryAfterMs: number) =>
      e('RATE_LIMITED', 429, 'too many writes on this connection; slow down', {
        extensions: { retryAfterMs },
        headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) },
      }),
    tooManyConnections: (limit: number) =>
      e('TOO_MANY_CONNECTIONS', 429, `a user may hold at most ${limit} connections per node`),
    sessionNotFound: () =>
      e('SESSION_NOT_FOUND', 404, 'no such session on this node: open a new one and resubscribe'),
    invalid: (detail: string) => e('INVALID_REQUEST', 400, detail),
    /** The code of an `error` frame for an unexpected error (its message is never shown). */
    internalCode: `${prefix}_INTERNAL`,
  }
}

export type LiveErrors = ReturnType<typeof liveErrors>
