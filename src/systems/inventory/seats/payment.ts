/**
 * How a hold is paid for at confirm. With INVENTORY_PAYMENTS_URL and INVENTORY_PAYMENTS_KEY set,
 * through the payments system's Stripe-shaped API as any outside client would (the architecture's
 * "requests": its public HTTP API): one PaymentIntent per hold, created and confirmed in one call
 * with the Idempotency-Key `inventory-hold-<id>`, so a confirm retried after a crash or a lost
 * answer finds the same PaymentIntent instead of charging twice. Otherwise a simulated payment.
 */

export type PaymentResult =
  | { ok: true; ref: string }
  | { ok: false; declined: true; reason: string }
  | { ok: false; declined: false; reason: string }

/** Pays for holds, and gives the money back for a hold that could not be confirmed after all. */
export interface PaymentPort {
  readonly name: string
  charge(holdId: string, amount: number, paymentMethod: string | undefined): Promise<PaymentResult>
  refund(ref: string): Promise<void>
}

/** No payment system: every payment succeeds (the "simulated payment otherwise"). */
export class SimulatedPayment implements PaymentPort {
  readonly name = 'simulated'
  async charge(): Promise<PaymentResult> {
    return { ok: true, ref: 'simulated' }
  }
  async refund(): Promise<void> {}
}

/** The payments system's `/v1/payment_intents` and `/v1/refunds`, form-encoded as Stripe takes them. */
export class StripePayment implements PaymentPort {
  readonly name = 'payments'
  constructor(
    private readonly url: string,
    private readonly key: string,
    private readonly currency: string,
    private readonly timeoutMs = 30_000,
  ) {}

  async charge(holdId: string, amount: number, paymentMethod = 'pm_card_visa'): Promise<PaymentResult> {
    let res: Response
    try {
      res = await this.post(
        '/v1/payment_intents',
        {
          amount: String(amount),
          currency: this.currency,
          payment_method: paymentMethod,
          confirm: 'true',
          'metadata[hold]': holdId,
        },
        `inventory-hold-${holdId}`,
      )
    } catch (err) {
      return { ok: false, declined: false, reason: `payments unreachable: ${(err as Error).message}` }
    }
    const body = (await res.json().catch(() => ({}))) as {
      id?: string
      status?: string
      error?: { type?: string; message?: string }
    }
    if (res.ok && body.status === 'succeeded' && body.id) return { ok: true, ref: body.id }
    // A card error (402), or a PaymentIntent that did not succeed (3-D Secure asked for): declined.
    if (res.status === 402 || (res.ok && body.status !== 'succeeded'))
      return {
        ok: false,
        declined: true,
        reason: body.error?.message ?? `payment ${body.status ?? 'failed'}`,
      }
    return {
      ok: false,
      declined: false,
      reason: `payments answered ${res.status}: ${body.error?.message ?? ''}`,
    }
  }

  async refund(ref: string): Promise<void> {
    const res = await this.post('/v1/refunds', { payment_intent: ref }, `inventory-refund-${ref}`)
    if (!res.ok) throw new Error(`refund of ${ref} failed: ${res.status} ${await res.text()}`)
  }

  private post(path: string, form: Record<string, string>, idempotencyKey: string): Promise<Response> {
    return fetch(`${this.url.replace(/\/$/, '')}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${this.key}`,
        'content-type': 'application/x-www-form-urlencoded',
        'idempotency-key': idempotencyKey,
      },
      body: new URLSearchParams(form).toString(),
      signal: AbortSignal.timeout(this.timeoutMs),
    })
  }
}
