/**
 * A new test payment: amount, currency, one of Stripe's test cards and the capture method, created
 * and confirmed in one call. A decline is shown as the answer it is; a 3-D Secure card leaves the
 * PaymentIntent `requires_action`, and its next-action URL (the issuer's challenge stand-in) opens
 * from here.
 */
import { type FormEvent, useState } from 'react'
import { Field } from '../../ui/field'
import { createPayment, formatMoney, type PaymentIntent, TEST_CARDS } from './api'

/** The form; `created` hears of each PaymentIntent made (the list refreshes and selects it). */
export function PaymentForm({ created }: { created: (pi: PaymentIntent) => void }) {
  const [amount, setAmount] = useState('20.00')
  const [currency, setCurrency] = useState('usd')
  const [card, setCard] = useState<string>(TEST_CARDS[0].id)
  const [manual, setManual] = useState(false)
  const [busy, setBusy] = useState(false)
  const [outcome, setOutcome] = useState<{ intent?: PaymentIntent; text: string; ok: boolean }>()

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    const minor = Math.round(Number(amount) * 100)
    if (!Number.isFinite(minor) || minor < 50) {
      setOutcome({ ok: false, text: 'The amount is at least 0.50 (Stripe’s smallest charge).' })
      return
    }
    setBusy(true)
    setOutcome(undefined)
    try {
      const { intent, declined } = await createPayment({
        amount: minor,
        currency,
        paymentMethod: card,
        captureMethod: manual ? 'manual' : 'automatic',
        returnUrl: window.location.href.split('?')[0]!,
      })
      created(intent)
      const money = formatMoney(intent.amount, intent.currency)
      if (declined) setOutcome({ intent, ok: false, text: `${intent.id}: declined. ${declined}` })
      else if (intent.status === 'requires_action')
        setOutcome({ intent, ok: true, text: `${intent.id}: ${money} waits for 3-D Secure.` })
      else
        setOutcome({ intent, ok: true, text: `${intent.id}: ${money} ${intent.status.replace(/_/g, ' ')}.` })
    } catch (err) {
      setOutcome({ ok: false, text: err instanceof Error ? err.message : String(err) })
    } finally {
      setBusy(false)
    }
  }

  const challenge = outcome?.intent?.next_action?.redirect_to_url?.url
  return (
    <section className="card" aria-labelledby="pay-heading">
      <h2 id="pay-heading">New test payment</h2>
      <form className="form-inline" onSubmit={submit}>
        <Field
          label="Amount"
          inputMode="decimal"
          value={amount}
          onChange={(e) => setAmount(e.target.value)}
        />
        <Field
          label="Currency"
          value={currency}
          onChange={(e) => setCurrency(e.target.value.toLowerCase())}
        />
        <div className="field">
          <label htmlFor="pay-card">Test card</label>
          <select id="pay-card" value={card} onChange={(e) => setCard(e.target.value)}>
            {TEST_CARDS.map((c) => (
              <option key={c.id} value={c.id}>
                {c.label}
              </option>
            ))}
          </select>
        </div>
        <label className="checkbox">
          <input type="checkbox" checked={manual} onChange={(e) => setManual(e.target.checked)} /> Authorize
          only (capture later)
        </label>
        <div className="actions">
          <button type="submit" disabled={busy}>
            {busy ? 'Paying…' : 'Create and confirm'}
          </button>
        </div>
      </form>
      {outcome && (
        <p
          className={outcome.ok ? 'success' : 'form-error'}
          role={outcome.ok ? 'status' : 'alert'}
          data-testid="pay-outcome"
        >
          {outcome.text}
        </p>
      )}
      {challenge && outcome?.intent?.status === 'requires_action' && (
        <p>
          <a href={challenge} target="_blank" rel="noopener">
            Open the 3-D Secure page
          </a>{' '}
          <span className="muted">(in a new tab; the payment updates here when you complete or fail it)</span>
        </p>
      )}
    </section>
  )
}
