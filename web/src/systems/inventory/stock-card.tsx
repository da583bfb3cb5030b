/**
 * Stock levels of a SKU at every location (on hand, reserved, available), read every two seconds,
 * with a reservation form to watch the numbers move and a demo product to start from on a fresh
 * server (the API lists no SKUs, so the page asks for one).
 */
import { useState } from 'react'
import { Field } from '../../ui/field'
import { readStored, writeStored } from '../../ui/storage'
import { usePoll } from '../../ui/use-poll'
import { createDemoStock, reserveStock, stockLevels } from './api'

const SKU_KEY = 'blueprints.inventory.sku'

/** The card. */
export function StockCard() {
  const [sku, setSku] = useState(() => readStored(SKU_KEY))
  const [draft, setDraft] = useState(sku ?? '')
  const [quantity, setQuantity] = useState('1')
  const [message, setMessage] = useState<{ ok: boolean; text: string }>()
  const [busy, setBusy] = useState(false)
  const levels = usePoll(sku, (signal) => stockLevels(sku!, signal), 2_000)

  const open = (id: string) => {
    setSku(id)
    setDraft(id)
    writeStored(SKU_KEY, id)
  }
  const run = async (what: () => Promise<string>) => {
    setBusy(true)
    setMessage(undefined)
    try {
      setMessage({ ok: true, text: await what() })
      levels.reload()
    } catch (err) {
      setMessage({ ok: false, text: err instanceof Error ? err.message : String(err) })
    } finally {
      setBusy(false)
    }
  }

  return (
    <section className="card" aria-labelledby="stock-heading">
      <h2 id="stock-heading">Stock levels</h2>
      <form
        className="form-inline"
        onSubmit={(e) => {
          e.preventDefault()
          if (draft.trim()) open(draft.trim())
        }}
      >
        <Field label="SKU" value={draft} onChange={(e) => setDraft(e.target.value)} />
        <div className="actions">
          <button type="submit">Show levels</button>
          <button
            type="button"
            className="secondary"
            disabled={busy}
            onClick={() =>
              run(async () => {
                const id = await createDemoStock(`DEMO-TEE-${Date.now().toString(36).toUpperCase()}`)
                open(id)
                return `Created ${id}: 40 units received at east, 12 at west.`
              })
            }
          >
            Create demo stock
          </button>
        </div>
      </form>
      {levels.error && (
        <p className="form-error" role="alert">
          {levels.error.message}
        </p>
      )}
      {levels.data && (
        <>
          {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard */}
          <section className="table-wrap" aria-label={`Levels of ${levels.data.sku}`} tabIndex={0}>
            <table data-testid="stock-levels">
              <caption className="sr-only">Levels of {levels.data.sku} per location</caption>
              <thead>
                <tr>
                  <th scope="col">location</th>
                  <th scope="col" className="num">
                    on hand
                  </th>
                  <th scope="col" className="num">
                    reserved
                  </th>
                  <th scope="col" className="num">
                    available
                  </th>
                </tr>
              </thead>
              <tbody>
                {levels.data.locations.map((l) => (
                  <tr key={l.location} data-location={l.location}>
                    <td>{l.location}</td>
                    <td className="num">{l.onHand}</td>
                    <td className="num">{l.reserved}</td>
                    <td className="num">{l.available}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          <form
            className="form-inline"
            onSubmit={(e) => {
              e.preventDefault()
              void run(async () => {
                const r = await reserveStock(levels.data!.sku, Number(quantity))
                return `Reserved ${quantity} for a minute (${r.id}); the units come back when it lapses.`
              })
            }}
          >
            <Field
              label="Units to reserve"
              type="number"
              min={1}
              value={quantity}
              onChange={(e) => setQuantity(e.target.value)}
            />
            <div className="actions">
              <button type="submit" className="secondary" disabled={busy}>
                Reserve
              </button>
            </div>
          </form>
        </>
      )}
      {message && (
        <p className={message.ok ? 'success' : 'form-error'} role={message.ok ? 'status' : 'alert'}>
          {message.text}
        </p>
      )}
    </section>
  )
}
