/**
 * The chat error catalog. One error, two renderings: problem+json over HTTP
 * (status + code) and an `error` frame over the real-time transports (code).
 */
import { AppError } from '../../platform/errors.js'
import { UNSTORABLE_REASON } from '../../platform/http/storable-text.js'

export class ChatError extends AppError {
  static unauthenticated = (detail: string) => new ChatError('CHAT_UNAUTHENTICATED', 401, detail)
  static tokenRevoked = () => new ChatError('CHAT_TOKEN_REVOKED', 401, 'the token has been revoked')
  static tokenExpired = () =>
    new ChatError('CHAT_TOKEN_EXPIRED', 401, 'the token of this connection expired; reconnect with a new one')
  /**
   * Text PostgreSQL cannot store in a frame's field: the code and reason of the platform's edge rule
   * for HTTP bodies (`UNSTORABLE_TEXT`), so every transport answers it alike.
   */
  static unstorable = (field: string) =>
    new ChatError('UNSTORABLE_TEXT', 400, `${field} ${UNSTORABLE_REASON}`, {
      extensions: { invalidParams: [{ name: field, reason: UNSTORABLE_REASON }] },
    })
  static badUser = (user: string) =>
    new ChatError(
      'CHAT_INVALID_USER',
      400,
      `user name ${JSON.stringify(user.slice(0, 80))} must be 1-64 of A-Z a-z 0-9 _ . @ -`,
    )
  static roomNotFound = (room: number) =>
    new ChatError('CHAT_ROOM_NOT_FOUND', 404, `room ${room} does not exist or you cannot see it`)
  static notMember = (room: number) =>
    new ChatError('CHAT_NOT_A_MEMBER', 403, `you are not a member of room ${room}`)
  static forbidden = (detail: string) => new ChatError('CHAT_FORBIDDEN', 403, detail)
  static messageNotFound = (room: number, offset: number) =>
    new ChatError('CHAT_MESSAGE_NOT_FOUND', 404, `room ${room} has no message at offset ${offset}`)
  static badParent = (room: number, offset: number) =>
    new ChatError('CHAT_INVALID_PARENT', 422, `room ${room} has no message ${offset} to reply to`)
  static tooLarge = (limit: number) =>
    new ChatError('CHAT_MESSAGE_TOO_LARGE', 413, `the message exceeds ${limit} bytes`)
  static frameTooLarge = (limit: number) =>
    new ChatError('CHAT_FRAME_TOO_LARGE', 413, `the frame exceeds ${limit} bytes`)
  static malformed = (detail: string) => new ChatError('CHAT_MALFORMED_FRAME', 400, detail)
  static unknownType = (type: string) =>
    new ChatError('CHAT_UNKNOWN_TYPE', 400, `unknown frame type ${JSON.stringify(type.slice(0, 40))}`)
  /** A frame of a version this connection does not speak; names every version the server speaks. */
  static badVersion = (asked: unknown, spoken: number, versions: readonly number[]) =>
    new ChatError(
      'CHAT_UNSUPPORTED_VERSION',
      400,
      `protocol ${typeof asked === 'number' ? `v${asked}` : JSON.stringify(asked ?? null)} is not spoken on this connection: ` +
        `this server speaks ${versions.map((v) => `v${v}`).join(' and ')}, this connection ` +
        (spoken >= versions.at(-1)!
          ? `speaks all of them`
          : `speaks v${spoken} (connect with ?v=${versions.at(-1)} for v${versions.at(-1)})`),
      { extensions: { versions: [...versions], connection: spoken } },
    )
  static futureOffset = (room: number, offset: number, head: number) =>
    new ChatError(
      'CHAT_OFFSET_FROM_FUTURE',
      400,
      `offset ${offset} is past the head of room ${room} (${head}); resume from ${head} or lower`,
      { extensions: { head } },
    )
  static rateLimited = (retryAfterMs: number) =>
    new ChatError('CHAT_RATE_LIMITED', 429, 'too many writes on this connection; slow down', {
      extensions: { retryAfterMs },
      headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) },
    })
  static tooManyRooms = (limit: number) =>
    new ChatError('CHAT_TOO_MANY_ROOMS', 409, `a user may belong to at most ${limit} rooms`)
  static tooManyConnections = (limit: number) =>
    new ChatError('CHAT_TOO_MANY_CONNECTIONS', 429, `a user may hold at most ${limit} connections per node`)
  static conflict = (detail: string) => new ChatError('CHAT_CONFLICT', 409, detail)
  static sessionNotFound = () =>
    new ChatError(
      'CHAT_SESSION_NOT_FOUND',
      404,
      'no such session on this node: open a new one and resubscribe',
    )
  static invalid = (detail: string) => new ChatError('CHAT_INVALID_REQUEST', 400, detail)

  override name = 'ChatError'
}
