/** The account's balance per currency: available (captured, not paid out) and pending. */
import type { Balance } from './api'
import { formatMoney } from './api'

/** The figures, or a word while there are none. */
export function BalanceCard({ balance }: { balance: Balance | undefined }) {
  const currencies = [
    ...new Set([...(balance?.available ?? []), ...(balance?.pending ?? [])].map((b) => b.currency)),
  ]
  return (
    <section className="card" aria-labelledby="balance-heading">
      <h2 id="balance-heading">Balance</h2>
      {currencies.length === 0 ? (
        <p className="muted">Nothing yet: a captured payment adds to it.</p>
      ) : (
        <dl className="stats balance" data-testid="balance">
          {currencies.map((c) => (
            <div key={c}>
              <dt>{c.toUpperCase()} available</dt>
              <dd data-currency={c}>
                {formatMoney(balance?.available.find((b) => b.currency === c)?.amount ?? 0, c)}
              </dd>
              <dt>pending</dt>
              <dd>{formatMoney(balance?.pending.find((b) => b.currency === c)?.amount ?? 0, c)}</dd>
            </div>
          ))}
        </dl>
      )}
    </section>
  )
}
