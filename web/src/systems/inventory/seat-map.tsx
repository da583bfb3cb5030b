/**
 * The seat map: a stage, then each section's rows of seat buttons, best first. A free seat
 * toggles in and out of the selection; held and sold seats cannot be picked (disabled), and
 * yours are marked apart. Each seat says its state in its label, never by colour alone.
 */
import type { Seat } from './api'
import { formatPrice, rowsOf } from './seat-map-state'

export type SeatLook = 'free' | 'selected' | 'mine' | 'held' | 'sold' | 'mine-sold'

const WORDS: Record<SeatLook, string> = {
  free: 'free',
  selected: 'selected',
  mine: 'held by you',
  held: 'held by someone',
  sold: 'sold',
  'mine-sold': 'bought by you',
}

/** The map; `lookOf` says how each seat shows, `onToggle` picks or unpicks a free seat. */
export function SeatMapView({
  seats,
  lookOf,
  onToggle,
}: {
  seats: Seat[]
  lookOf: (s: Seat) => SeatLook
  onToggle: (s: Seat) => void
}) {
  const rows = rowsOf(seats)
  const widest = Math.max(1, ...rows.map((r) => r.seats.length))
  let section = ''
  return (
    <div className="seat-map" data-testid="seat-map">
      <div className="stage" aria-hidden="true">
        stage
      </div>
      {rows.map((r) => {
        const head = r.section !== section
        section = r.section
        return (
          <div key={`${r.section}-${r.row}`}>
            {head && (
              <h3 className="seat-section">
                {r.section}{' '}
                <span className="muted">
                  {r.seats[0]?.category}, {formatPrice(r.seats[0]?.price ?? 0)}
                </span>
              </h3>
            )}
            {/* biome-ignore lint/a11y/useSemanticElements: a row of seats is a group of buttons, not a fieldset of a form */}
            <div
              className="seat-row"
              role="group"
              aria-label={`${r.section} row ${r.row}`}
              style={{ gridTemplateColumns: `1.6rem repeat(${widest}, minmax(0, 1fr))` }}
            >
              <span className="row-label" aria-hidden="true">
                {r.row}
              </span>
              {r.seats.map((s) => {
                const look = lookOf(s)
                return (
                  <button
                    key={s.id}
                    type="button"
                    className={`seat seat-${look}`}
                    data-seat={s.id}
                    data-look={look}
                    disabled={look !== 'free' && look !== 'selected'}
                    aria-pressed={look === 'selected'}
                    aria-label={`${s.section} row ${s.row} seat ${s.number}${s.accessible ? ', accessible' : ''}, ${formatPrice(s.price)}: ${WORDS[look]}`}
                    title={`${s.id} · ${formatPrice(s.price)} · ${WORDS[look]}`}
                    onClick={() => onToggle(s)}
                  >
                    {s.accessible ? '♿' : s.number}
                  </button>
                )
              })}
            </div>
          </div>
        )
      })}
      <ul className="seat-legend" aria-label="Legend">
        {(['free', 'selected', 'mine', 'held', 'sold'] as const).map((l) => (
          <li key={l}>
            <span className={`seat seat-${l} legend-swatch`} aria-hidden="true" /> {WORDS[l]}
          </li>
        ))}
      </ul>
    </div>
  )
}
