/** The seat side's errors: each refusal has its status and an INVENTORY_* code (README, Errors). */
import { AppError, invalidParams } from '../../../platform/errors.js'

export const SeatErrors = {
  venueNotFound: (id: string) => new AppError('INVENTORY_VENUE_NOT_FOUND', 404, `venue ${id} does not exist`),
  showNotFound: (id: string) => new AppError('INVENTORY_SHOW_NOT_FOUND', 404, `show ${id} does not exist`),
  holdNotFound: (id: string) => new AppError('INVENTORY_HOLD_NOT_FOUND', 404, `hold ${id} does not exist`),
  invalidVenue: (name: string, reason: string) =>
    invalidParams('INVENTORY_INVALID_VENUE', 400, [{ name, reason }]),
  invalidShow: (name: string, reason: string) =>
    invalidParams('INVENTORY_INVALID_SHOW', 400, [{ name, reason }]),
  invalidHold: (name: string, reason: string) =>
    invalidParams('INVENTORY_INVALID_HOLD', 400, [{ name, reason }]),
  unknownSeats: (showId: string, seats: string[]) =>
    new AppError(
      'INVENTORY_UNKNOWN_SEATS',
      422,
      `show ${showId} has no seat ${seats.slice(0, 20).join(', ')}${seats.length > 20 ? ', ...' : ''}`,
      { extensions: { seats } },
    ),
  seatsTaken: (seats: string[]) =>
    new AppError(
      'INVENTORY_SEATS_TAKEN',
      409,
      `seat${seats.length === 1 ? '' : 's'} ${seats.join(', ')} ${seats.length === 1 ? 'is' : 'are'} already held or sold`,
      { extensions: { seats } },
    ),
  notEnoughTogether: (n: number) =>
    new AppError(
      'INVENTORY_NOT_ENOUGH_SEATS',
      409,
      `no ${n} adjacent free seats in one row match the request`,
      { extensions: { best: n } },
    ),
  contended: (attempts: number) =>
    new AppError(
      'INVENTORY_CONTENDED',
      409,
      `the seats kept changing under this hold (${attempts} attempts); try again`,
      { headers: { 'retry-after': '1' } },
    ),
  holdConfirmed: (id: string, orderId: string | null) =>
    new AppError('INVENTORY_HOLD_CONFIRMED', 409, `hold ${id} is already confirmed (order ${orderId})`, {
      extensions: { orderId },
    }),
  holdExpired: (id: string) =>
    new AppError('INVENTORY_HOLD_EXPIRED', 409, `hold ${id} expired; its seats were released`),
  holdReleased: (id: string) =>
    new AppError('INVENTORY_HOLD_RELEASED', 409, `hold ${id} was released; its seats are no longer held`),
  paymentDeclined: (id: string, reason: string) =>
    new AppError(
      'INVENTORY_PAYMENT_DECLINED',
      402,
      `payment for hold ${id} was declined (${reason}); its seats were released`,
    ),
  paymentUnavailable: (id: string, reason: string) =>
    new AppError(
      'INVENTORY_PAYMENT_UNAVAILABLE',
      503,
      `payment for hold ${id} could not be made (${reason}); the hold stands, try again`,
      {
        headers: { 'retry-after': '5' },
      },
    ),
}
