/**
 * Your holds on this show: each one's seats, a countdown to its expiry, and Confirm (the
 * simulated payment, once) or Release. A refusal (409: confirmed already, expired, released)
 * is shown under the hold in the server's words, and the hold takes the state it names.
 */
import { useState } from 'react'
import { ApiError } from '../../api/http'
import { confirmHold, releaseHold } from './api'
import { isLive, type MyHold } from './my-holds'
import { formatPrice } from './seat-map-state'
import { useNow } from './use-now'

const STATE_OF_CODE: Record<string, MyHold['state']> = {
  INVENTORY_HOLD_CONFIRMED: 'confirmed',
  INVENTORY_HOLD_EXPIRED: 'expired',
  INVENTORY_HOLD_RELEASED: 'released',
}

/** `ms` as `m:ss`. */
export function formatCountdown(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000))
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`
}

/** The list of your holds; `changed` records what became of one, `ended` frees or sells its seats on the map. */
export function HoldsPanel({
  holds,
  changed,
  ended,
}: {
  holds: MyHold[]
  changed: (id: string, patch: Partial<MyHold>) => void
  ended: (h: MyHold, state: 'sold' | 'free') => void
}) {
  const now = useNow(
    1000,
    holds.some((h) => h.state === 'active'),
  )
  const [busy, setBusy] = useState<string>()
  const [errors, setErrors] = useState<Record<string, string>>({})

  const act = async (h: MyHold, what: 'confirm' | 'release') => {
    setBusy(h.id)
    setErrors(({ [h.id]: _, ...rest }) => rest)
    try {
      if (what === 'confirm') {
        const order = await confirmHold(h.id)
        changed(h.id, { state: 'confirmed', orderId: order.orderId, amount: order.amount })
        ended(h, 'sold')
      } else {
        await releaseHold(h.id)
        changed(h.id, { state: 'released' })
        ended(h, 'free')
      }
    } catch (err) {
      const code = err instanceof ApiError ? err.problem?.code : undefined
      const state = code ? STATE_OF_CODE[code] : undefined
      if (state) {
        const orderId = err instanceof ApiError ? err.problem?.orderId : undefined
        changed(h.id, { state, ...(typeof orderId === 'string' && { orderId }) })
      }
      setErrors((e) => ({ ...e, [h.id]: err instanceof Error ? err.message : String(err) }))
    } finally {
      setBusy(undefined)
    }
  }

  if (holds.length === 0)
    return <p className="muted">No holds yet: pick free seats on the map and hold them.</p>
  return (
    <ul className="holds" aria-label="Your holds">
      {holds.map((h) => {
        const live = isLive(h, now)
        const state = h.state === 'active' && !live ? 'expired' : h.state
        return (
          <li key={h.id} className={`hold hold-${state}`} data-hold={h.id} data-state={state}>
            <div className="hold-head">
              <strong>{h.seats.join(', ')}</strong>
              {live ? (
                <span className="countdown" data-testid="countdown">
                  expires in {formatCountdown(Date.parse(h.expiresAt) - now)}
                </span>
              ) : (
                <span className="hold-state">
                  {state}
                  {h.orderId && ` · order ${h.orderId}`}
                  {h.amount !== undefined && ` · paid ${formatPrice(h.amount)}`}
                </span>
              )}
            </div>
            {live && (
              <div className="actions">
                <button type="button" disabled={busy === h.id} onClick={() => act(h, 'confirm')}>
                  Confirm
                </button>
                <button
                  type="button"
                  className="secondary"
                  disabled={busy === h.id}
                  onClick={() => act(h, 'release')}
                >
                  Release
                </button>
              </div>
            )}
            {errors[h.id] && (
              <p className="form-error" role="alert">
                {errors[h.id]}
              </p>
            )}
          </li>
        )
      })}
    </ul>
  )
}
