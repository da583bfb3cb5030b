/** The newest PaymentIntents as a table; a row's button opens its history. */
import { formatMoney, type PaymentIntent } from './api'

/** `unix` seconds as a local time of day. */
export function formatTime(unix: number): string {
  return new Date(unix * 1000).toLocaleTimeString('en', { hour12: false })
}

/** The table; `selected` is the open one. */
export function PaymentsList({
  intents,
  selected,
  onSelect,
}: {
  intents: PaymentIntent[]
  selected: string | undefined
  onSelect: (id: string) => void
}) {
  if (intents.length === 0) return <p className="muted">No payments yet: make one above.</p>
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
    <section className="table-wrap" aria-label="Payments" tabIndex={0}>
      <table className="stack-on-phone">
        <caption className="sr-only">The newest PaymentIntents</caption>
        <thead>
          <tr>
            <th scope="col">PaymentIntent</th>
            <th scope="col" className="num">
              amount
            </th>
            <th scope="col">status</th>
            <th scope="col">card</th>
            <th scope="col">created</th>
          </tr>
        </thead>
        <tbody>
          {intents.map((pi) => (
            <tr key={pi.id} data-pi={pi.id} data-status={pi.status} aria-selected={pi.id === selected}>
              <td>
                <button type="button" className="small secondary" onClick={() => onSelect(pi.id)}>
                  {pi.id}
                </button>
              </td>
              <td className="num">{formatMoney(pi.amount, pi.currency)}</td>
              <td>
                <span className={`pi-status pi-${pi.status}`}>{pi.status.replace(/_/g, ' ')}</span>
                {pi.last_payment_error && (
                  <span className="muted">
                    {' '}
                    ({pi.last_payment_error.decline_code ?? pi.last_payment_error.code})
                  </span>
                )}
              </td>
              <td data-label="card">{pi.payment_method?.replace(/^pm_card_/, '') ?? '—'}</td>
              <td>{formatTime(pi.created)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}
