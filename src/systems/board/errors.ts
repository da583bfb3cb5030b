/** The board error catalog: problem+json over HTTP (status + code), `error` frames on the live endpoint. */
import { AppError } from '../../platform/errors.js'

export class BoardError extends AppError {
  static unauthenticated = (detail: string) => new BoardError('BOARD_UNAUTHENTICATED', 401, detail)
  static badUser = (user: string) =>
    new BoardError(
      'BOARD_INVALID_USER',
      400,
      `user name ${JSON.stringify(user.slice(0, 80))} must be 1-64 of A-Z a-z 0-9 _ . @ -`,
    )
  /** A missing board and one the caller is not a member of get the same answer. */
  static notFound = (board: string) =>
    new BoardError('BOARD_NOT_FOUND', 404, `board ${board} does not exist or you are not a member`)
  static listNotFound = (list: string) =>
    new BoardError('BOARD_LIST_NOT_FOUND', 404, `list ${list} does not exist on this board`)
  static cardNotFound = (card: string) =>
    new BoardError('BOARD_CARD_NOT_FOUND', 404, `card ${card} does not exist on this board`)
  static itemNotFound = (what: string, id: string) =>
    new BoardError('BOARD_ITEM_NOT_FOUND', 404, `${what} ${id} does not exist on this card`)
  /** `If-Match` named a version the board has moved past: reread and decide again. */
  static versionConflict = (board: string, expected: number, actual: number) =>
    new BoardError(
      'BOARD_VERSION_CONFLICT',
      409,
      `board ${board} is at version ${actual}, not ${expected}: read it again and retry`,
      { extensions: { expected, actual } },
    )
  /** Retries ran out under heavy contention on one board: nothing was written. */
  static contended = (board: string, attempts: number) =>
    new BoardError(
      'BOARD_CONTENDED',
      409,
      `board ${board} changed under this command ${attempts} times in a row; nothing was written, retry`,
      { headers: { 'retry-after': '1' } },
    )
  /** `before`/`after` do not name neighbours in the target list (any more). */
  static positionStale = (detail: string) => new BoardError('BOARD_POSITION_STALE', 409, detail)
  static invalidPosition = (detail: string) => new BoardError('BOARD_INVALID_POSITION', 400, detail)
  static archived = (what: string, id: string) =>
    new BoardError('BOARD_ARCHIVED', 409, `${what} ${id} is archived: restore it first`)
  static forbidden = (detail: string) => new BoardError('BOARD_FORBIDDEN', 403, detail)
  static limit = (detail: string) => new BoardError('BOARD_LIMIT_REACHED', 422, detail)
  static idempotencyMismatch = (key: string) =>
    new BoardError(
      'BOARD_IDEMPOTENCY_KEY_REUSED',
      422,
      `Idempotency-Key ${JSON.stringify(key.slice(0, 80))} was used for another command`,
    )
  static badIfMatch = () =>
    new BoardError('BOARD_INVALID_IF_MATCH', 400, 'If-Match must be a board version, e.g. "12"')
  static projectionBehind = (board: string, want: number) =>
    new BoardError(
      'BOARD_PROJECTION_BEHIND',
      503,
      `the view of board ${board} has not reached version ${want} yet; retry`,
      { headers: { 'retry-after': '1' } },
    )
}
