/**
 * The simulated card network: Stripe's documented test payment methods and test card numbers,
 * and the outcome each one drives (success, or a decline with Stripe's code and decline_code).
 */

/** `authenticate`: the issuer asks for 3-D Secure before it approves (stripe/three-d-secure.ts). */
export type CardOutcome =
  | { ok: true; authenticate?: boolean }
  | { ok: false; code: string; declineCode: string; message: string }

export interface TestCard {
  brand: string
  last4: string
  outcome: CardOutcome
}

const DECLINED = {
  ok: false,
  code: 'card_declined',
  declineCode: 'generic_decline',
  message: 'Your card was declined.',
} as const
const FUNDS = {
  ok: false,
  code: 'card_declined',
  declineCode: 'insufficient_funds',
  message: 'Your card has insufficient funds.',
} as const
const EXPIRED = {
  ok: false,
  code: 'expired_card',
  declineCode: 'expired_card',
  message: 'Your card has expired.',
} as const
const CVC = {
  ok: false,
  code: 'incorrect_cvc',
  declineCode: 'incorrect_cvc',
  message: "Your card's security code is incorrect.",
} as const
const OK = { ok: true } as const
const THREE_DS = { ok: true, authenticate: true } as const

/** Test card numbers (https://docs.stripe.com/testing) by number. */
export const TEST_CARD_NUMBERS: Record<string, TestCard> = {
  '4242424242424242': { brand: 'visa', last4: '4242', outcome: OK },
  '4000056655665556': { brand: 'visa', last4: '5556', outcome: OK },
  '5555555555554444': { brand: 'mastercard', last4: '4444', outcome: OK },
  '378282246310005': { brand: 'amex', last4: '0005', outcome: OK },
  '4000000000000002': { brand: 'visa', last4: '0002', outcome: DECLINED },
  '4000000000009995': { brand: 'visa', last4: '9995', outcome: FUNDS },
  '4000000000000069': { brand: 'visa', last4: '0069', outcome: EXPIRED },
  '4000000000000127': { brand: 'visa', last4: '0127', outcome: CVC },
  // 3-D Secure: required (3DS2), authentication required, 3DS required: each asks first.
  '4000000000003220': { brand: 'visa', last4: '3220', outcome: THREE_DS },
  '4000002500003155': { brand: 'visa', last4: '3155', outcome: THREE_DS },
  '4000000000003063': { brand: 'visa', last4: '3063', outcome: THREE_DS },
}

/** Stripe's test PaymentMethod ids, usable wherever a payment_method id is. */
export const TEST_PAYMENT_METHODS: Record<string, TestCard> = {
  pm_card_visa: TEST_CARD_NUMBERS['4242424242424242']!,
  pm_card_visa_debit: TEST_CARD_NUMBERS['4000056655665556']!,
  pm_card_mastercard: TEST_CARD_NUMBERS['5555555555554444']!,
  pm_card_amex: TEST_CARD_NUMBERS['378282246310005']!,
  pm_card_chargeDeclined: TEST_CARD_NUMBERS['4000000000000002']!,
  pm_card_visa_chargeDeclined: TEST_CARD_NUMBERS['4000000000000002']!,
  pm_card_chargeDeclinedInsufficientFunds: TEST_CARD_NUMBERS['4000000000009995']!,
  pm_card_visa_chargeDeclinedInsufficientFunds: TEST_CARD_NUMBERS['4000000000009995']!,
  pm_card_chargeDeclinedExpiredCard: TEST_CARD_NUMBERS['4000000000000069']!,
  pm_card_chargeDeclinedIncorrectCvc: TEST_CARD_NUMBERS['4000000000000127']!,
  pm_card_threeDSecure2Required: TEST_CARD_NUMBERS['4000000000003220']!,
  pm_card_authenticationRequired: TEST_CARD_NUMBERS['4000002500003155']!,
  pm_card_threeDSecureRequired: TEST_CARD_NUMBERS['4000000000003063']!,
}

/** The card behind a stored PaymentMethod object, by its brand and last4. */
export function cardOf(pm: { card?: { brand?: string; last4?: string } }): TestCard | undefined {
  return Object.values(TEST_CARD_NUMBERS).find(
    (c) => c.brand === pm.card?.brand && c.last4 === pm.card?.last4,
  )
}
