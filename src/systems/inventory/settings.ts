/** The inventory system's environment variables (validated at boot with the platform's). */
import { int, oneOf, optional, str, url } from '../../platform/settings.js'

/** The reservation strategies a process can run (README, Strategies). */
export const STRATEGIES = ['pessimistic', 'optimistic'] as const
export type StrategyName = (typeof STRATEGIES)[number]

export const settings = {
  INVENTORY_STRATEGY: oneOf(STRATEGIES, {
    default: 'pessimistic',
    doc: 'how a hold claims its seats and a reservation its stock: pessimistic (SELECT ... FOR UPDATE in lock order) or optimistic (version check and retry)',
  }),
  INVENTORY_API_TOKEN: optional(
    str({
      maxLength: 200,
      doc: 'bearer token that creating venues and shows requires (Authorization: Bearer <token>); unset: open',
    }),
  ),
  INVENTORY_HOLD_TTL_SECONDS: int({
    default: 600,
    min: 1,
    max: 86_400,
    doc: 'how long a hold keeps its seats unless its request asks for less (ttlSeconds)',
  }),
  INVENTORY_MAX_SEATS_PER_HOLD: int({
    default: 10,
    min: 1,
    max: 100,
    doc: 'seats one hold may take at most',
  }),
  INVENTORY_MAX_VENUE_SEATS: int({ default: 20_000, min: 1, max: 200_000, doc: 'seats one venue may have' }),
  INVENTORY_OPTIMISTIC_RETRIES: int({
    default: 20,
    min: 0,
    max: 1000,
    doc: 'times the optimistic strategy re-reads and retries a hold whose version check lost a race',
  }),
  INVENTORY_RESERVATION_TTL_SECONDS: int({
    default: 900,
    min: 1,
    max: 86_400,
    doc: 'how long a stock reservation holds its units unless its request asks for less (ttlSeconds)',
  }),
  INVENTORY_MAX_RESERVATION_ITEMS: int({
    default: 50,
    min: 1,
    max: 500,
    doc: 'items one stock reservation may list',
  }),
  INVENTORY_BEST_RETRIES: int({
    default: 5,
    min: 0,
    max: 100,
    doc: 'times a best-available hold picks again after the seats it picked were taken meanwhile',
  }),
  INVENTORY_WAITLIST_OFFER_SECONDS: int({
    default: 120,
    min: 1,
    max: 86_400,
    doc: "how long a hold offered to the first in a show's waitlist lasts (at most INVENTORY_HOLD_TTL_SECONDS)",
  }),
  INVENTORY_WAITING_ROOM_CAPACITY: int({
    default: 0,
    min: 0,
    max: 1_000_000,
    doc: 'buyers of one show let in at once; past it they wait in the virtual waiting room in order (0: no room)',
  }),
  INVENTORY_WAITING_ROOM_SESSION_SECONDS: int({
    default: 600,
    min: 1,
    max: 86_400,
    doc: 'how long an admitted waiting-room ticket lets its buyer hold seats',
  }),
  INVENTORY_PAYMENTS_URL: optional(
    url(['http', 'https'], {
      doc: 'origin of a running payments system (its Stripe-shaped /v1 API): confirm pays through it; unset: simulated payment',
    }),
  ),
  INVENTORY_PAYMENTS_KEY: optional(
    str({ maxLength: 200, doc: "the payments system's secret key (sk_test_...) for INVENTORY_PAYMENTS_URL" }),
  ),
  INVENTORY_CURRENCY: str({
    default: 'usd',
    maxLength: 3,
    doc: 'currency of seat prices, as the payments system names it',
  }),
}
