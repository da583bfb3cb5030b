/**
 * One PaymentIntent's story: its events in order (from `/v1/events`, those about it, its charges
 * and refunds), the ledger transfers it made (amounts between the account's `network` and
 * `balance` accounts), and the steps it can take next (capture, cancel, refund).
 */
import { useState } from 'react'
import { ErrorBox } from '../../ui/error-box'
import { usePoll } from '../../ui/use-poll'
import {
  cancelPayment,
  capturePayment,
  concerns,
  formatMoney,
  ledgerTransfers,
  listEvents,
  type PaymentIntent,
  refundPayment,
} from './api'
import { formatTime } from './payments-list'

/** The detail of `pi`; `changed` refreshes the list after an action. */
export function PaymentDetail({ pi, changed }: { pi: PaymentIntent; changed: () => void }) {
  const events = usePoll(`${pi.id}:${pi.status}`, listEvents, 3_000)
  const transfers = usePoll(`${pi.id}:${pi.status}`, (signal) => ledgerTransfers(pi.id, signal), 3_000)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string>()

  const act = async (what: () => Promise<unknown>) => {
    setBusy(true)
    setError(undefined)
    try {
      await what()
      changed()
      events.reload()
      transfers.reload()
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err))
    } finally {
      setBusy(false)
    }
  }

  const mine = (events.data?.data ?? []).filter((e) => concerns(e, pi.id)).reverse()
  const canCancel = !['succeeded', 'canceled'].includes(pi.status)
  return (
    <section className="card" aria-labelledby="pi-heading" data-testid="pi-detail">
      <div className="section-head">
        <h2 id="pi-heading">{pi.id}</h2>
        <span className={`pi-status pi-${pi.status}`}>{pi.status.replace(/_/g, ' ')}</span>
      </div>
      <p className="muted">
        {formatMoney(pi.amount, pi.currency)}, {pi.capture_method} capture, received{' '}
        {formatMoney(pi.amount_received, pi.currency)}
        {pi.last_payment_error &&
          ` · last error: ${pi.last_payment_error.message ?? pi.last_payment_error.code}`}
      </p>
      <div className="actions">
        {pi.status === 'requires_capture' && (
          <button type="button" disabled={busy} onClick={() => act(() => capturePayment(pi.id))}>
            Capture
          </button>
        )}
        {pi.status === 'succeeded' && (
          <button
            type="button"
            className="secondary"
            disabled={busy}
            onClick={() => act(() => refundPayment(pi.id))}
          >
            Refund in full
          </button>
        )}
        {canCancel && (
          <button
            type="button"
            className="secondary"
            disabled={busy}
            onClick={() => act(() => cancelPayment(pi.id))}
          >
            Cancel
          </button>
        )}
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <div className="pi-columns">
        <div>
          <h3>Events</h3>
          {events.error && <ErrorBox title="The events could not be read">{events.error.message}</ErrorBox>}
          <ol className="timeline" aria-label={`Events of ${pi.id}`}>
            {mine.map((e) => (
              <li key={e.id} data-event={e.type}>
                <span className="muted">{formatTime(e.created)}</span> <code>{e.type}</code>
              </li>
            ))}
          </ol>
          {events.data && mine.length === 0 && <p className="muted">No events among the newest 100.</p>}
        </div>
        <div>
          <h3>Ledger transfers</h3>
          {transfers.error && (
            <ErrorBox title="The ledger could not be read">{transfers.error.message}</ErrorBox>
          )}
          {transfers.data && transfers.data.length === 0 && (
            <p className="muted">None: no money moved (declined, or waiting for 3-D Secure).</p>
          )}
          <ul className="transfers" aria-label={`Ledger transfers of ${pi.id}`}>
            {(transfers.data ?? []).map((t) => (
              <li key={t.id} data-transfer={t.id}>
                <code>{t.id}</code> <strong>{t.type}</strong>
                {t.state && t.type === 'pending' && <span className="muted"> ({t.state})</span>}
                <br />
                {formatMoney(Number(t.amount), t.currency)}: <code>{t.debitAccountId}</code> →{' '}
                <code>{t.creditAccountId}</code>
              </li>
            ))}
          </ul>
        </div>
      </div>
    </section>
  )
}
