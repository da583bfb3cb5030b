/** A system's health as a badge: a word and a colour, never colour alone. */
import type { SystemHealth } from '../live/readiness'

const WORDS: Record<SystemHealth['state'], string> = {
  ok: 'healthy',
  failing: 'unhealthy',
  unknown: 'unknown',
}

/** The badge, with the failing dependencies listed under it when there are any. */
export function StatusBadge({ health }: { health: SystemHealth }) {
  return (
    <div className="status">
      <span className={`badge badge-${health.state}`} data-health={health.state}>
        <span aria-hidden="true">{health.state === 'ok' ? '●' : health.state === 'failing' ? '▲' : '○'}</span>{' '}
        {WORDS[health.state]}
      </span>
      {health.failing.length > 0 && (
        <ul className="failing" aria-label="Failing dependencies">
          {health.failing.map((f) => (
            <li key={f.name}>
              <strong>{f.name}</strong>: {f.error}
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}
