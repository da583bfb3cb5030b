/**
 * The banner that says the server stopped answering (or answered an error
 * to the console's polls), with the time of the last good answer and a
 * retry button. Polling continues meanwhile, so it clears by itself.
 */
import { useLive } from '../live/live-data'

/** Nothing while polls succeed; a banner when the last one failed. */
export function ServerBanner() {
  const { error, updatedAt, retry } = useLive()
  if (!error) return null
  const since = updatedAt ? ` Last answer at ${new Date(updatedAt).toLocaleTimeString()}.` : ''
  return (
    <div className="banner banner-error" role="alert">
      <div>
        <strong>
          {error.kind === 'network' ? 'The server is not answering.' : 'The server answered with an error.'}
        </strong>{' '}
        {/[.?!]$/.test(error.message) ? error.message : `${error.message}.`}
        {since} Retrying every few seconds.
      </div>
      <button type="button" onClick={retry}>
        Retry now
      </button>
    </div>
  )
}
