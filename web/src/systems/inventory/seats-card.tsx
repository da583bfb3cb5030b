/**
 * One show's seats, live: the map read over HTTP, then kept current by the show's live stream
 * (others' holds, sales and releases appear as they commit). Pick free seats and hold them, or
 * ask for the best N together; your holds count down beside the map, to confirm or release.
 */
import { useCallback, useEffect, useMemo, useState } from 'react'
import { ApiError } from '../../api/http'
import { ErrorBox } from '../../ui/error-box'
import { Field } from '../../ui/field'
import { createHold, type NewHold, type Seat, seatMap } from './api'
import { HoldsPanel } from './holds-panel'
import { isLive, type MyHold, useMyHolds } from './my-holds'
import { type SeatLook, SeatMapView } from './seat-map'
import {
  applyEvent,
  countStates,
  fromMap,
  markSeats,
  type SeatEvent,
  type SeatMapState,
} from './seat-map-state'
import { useNow } from './use-now'
import { useSeatStream } from './use-seat-stream'

const STREAM_WORDS = {
  connecting: 'connecting to the live stream…',
  live: 'live',
  reconnecting: 'reconnecting…',
  unauthorized: 'refused',
  closed: 'closed',
} as const

/** The card for `show`. */
export function SeatsCard({ show }: { show: string }) {
  const [map, setMap] = useState<SeatMapState>()
  const [after, setAfter] = useState<number>()
  const [loadError, setLoadError] = useState<string>()
  const [attempt, setAttempt] = useState(0)
  const [selected, setSelected] = useState<Set<string>>(new Set())
  const [best, setBest] = useState('2')
  const [holdError, setHoldError] = useState<string>()
  const [busy, setBusy] = useState(false)
  const { holds, added, changed } = useMyHolds(show)
  const now = useNow(
    1000,
    holds.some((h) => h.state === 'active'),
  )

  // biome-ignore lint/correctness/useExhaustiveDependencies: `attempt` is the retry trigger
  useEffect(() => {
    const ctl = new AbortController()
    setMap(undefined)
    setAfter(undefined)
    setLoadError(undefined)
    setSelected(new Set())
    seatMap(show, ctl.signal)
      .then((m) => {
        setMap(fromMap(m))
        setAfter(m.offset)
      })
      .catch((err) => {
        if (!ctl.signal.aborted) setLoadError(err instanceof Error ? err.message : String(err))
      })
    return () => ctl.abort()
  }, [show, attempt])

  const onEvent = useCallback((e: SeatEvent) => setMap((m) => m && applyEvent(m, e, Date.now())), [])
  const stream = useSeatStream(map ? show : undefined, after, onEvent)

  const mine = useMemo(() => {
    const held = new Map<string, string>()
    const bought = new Set<string>()
    for (const h of holds) {
      if (isLive(h, now)) for (const s of h.seats) held.set(s, h.id)
      if (h.state === 'confirmed') for (const s of h.seats) bought.add(s)
    }
    return { held, bought }
  }, [holds, now])

  const lookOf = useCallback(
    (s: Seat): SeatLook => {
      if (s.state === 'free') return selected.has(s.id) ? 'selected' : 'free'
      const myHold = mine.held.get(s.id)
      if (s.state === 'held' && myHold && (map?.holdOf.get(s.id) ?? myHold) === myHold) return 'mine'
      if (s.state === 'sold' && mine.bought.has(s.id)) return 'mine-sold'
      return s.state
    },
    [selected, mine, map],
  )

  // Seats someone else took since they were picked leave the selection.
  const picked = useMemo(
    () => (map?.seats ?? []).filter((s) => s.state === 'free' && selected.has(s.id)).map((s) => s.id),
    [map, selected],
  )

  const toggle = (s: Seat) =>
    setSelected((sel) => {
      const next = new Set(sel)
      if (!next.delete(s.id)) next.add(s.id)
      return next
    })

  const hold = async (body: { seats: string[] } | { best: number }) => {
    setBusy(true)
    setHoldError(undefined)
    try {
      const h: NewHold = await createHold(show, body)
      added(h)
      setMap((m) => m && markSeats(m, h.id, h.seats, 'held'))
      setSelected(new Set())
    } catch (err) {
      let message = err instanceof Error ? err.message : String(err)
      const taken = err instanceof ApiError ? err.problem?.seats : undefined
      if (Array.isArray(taken) && err instanceof ApiError && err.problem?.code === 'INVENTORY_SEATS_TAKEN')
        message = `Someone else has ${taken.join(', ')} now. Pick other seats.`
      setHoldError(message)
    } finally {
      setBusy(false)
    }
  }

  const ended = useCallback(
    (h: MyHold, state: 'sold' | 'free') => setMap((m) => m && markSeats(m, h.id, h.seats, state)),
    [],
  )

  if (loadError)
    return (
      <section className="card" aria-labelledby="seats-heading">
        <h2 id="seats-heading">Show {show}</h2>
        <ErrorBox title="The seat map could not be read" onRetry={() => setAttempt((a) => a + 1)}>
          {loadError}
        </ErrorBox>
      </section>
    )
  const counts = map ? countStates(map.seats) : undefined
  return (
    <section className="card seats-card" aria-labelledby="seats-heading">
      <div className="section-head">
        <h2 id="seats-heading">Show {show}</h2>
        <span className={`stream stream-${stream.state}`} data-testid="stream-state">
          <span aria-hidden="true">{stream.state === 'live' ? '●' : '○'}</span> {STREAM_WORDS[stream.state]}
        </span>
      </div>
      {stream.error && <p className="form-error">{stream.error}</p>}
      {!map && <p className="muted">Reading the seat map…</p>}
      {map && counts && (
        <div className="seats-layout">
          <div>
            <p className="muted" data-testid="seat-counts">
              {counts.free} free, {counts.held} held, {counts.sold} sold of {map.seats.length} seats
            </p>
            <SeatMapView seats={map.seats} lookOf={lookOf} onToggle={toggle} />
          </div>
          <div className="hold-side">
            <h3>Hold seats</h3>
            <div className="actions">
              <button
                type="button"
                disabled={busy || picked.length === 0}
                onClick={() => hold({ seats: picked })}
              >
                {picked.length === 0 ? 'Pick seats to hold' : `Hold ${picked.length} selected`}
              </button>
            </div>
            <form
              className="form-inline best-form"
              onSubmit={(e) => {
                e.preventDefault()
                void hold({ best: Number(best) })
              }}
            >
              <Field
                label="Best available"
                type="number"
                min={1}
                max={10}
                value={best}
                onChange={(e) => setBest(e.target.value)}
                hint="N seats together, none stranded"
              />
              <div className="actions">
                <button type="submit" className="secondary" disabled={busy}>
                  Hold best
                </button>
              </div>
            </form>
            {holdError && (
              <p className="form-error" role="alert">
                {holdError}
              </p>
            )}
            <h3>Your holds</h3>
            <HoldsPanel holds={holds} changed={changed} ended={ended} />
          </div>
        </div>
      )}
    </section>
  )
}
