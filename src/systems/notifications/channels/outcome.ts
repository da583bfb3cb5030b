/** What one delivery attempt on a channel came to. */
export type Attempt =
  /** Handed over (SMTP accepted, 2xx): done. */
  | { status: 'sent'; detail?: string }
  /** Refused for good (SMTP 5xx bounce, 410 Gone, no address): recorded, not retried. */
  | { status: 'bounced' | 'skipped'; detail: string }
  /** Failed for now (network, 4xx SMTP, 5xx HTTP): retried with backoff until the last attempt. */
  | { status: 'failed'; detail: string }

/** The text of an error for the attempts table (bounded). */
export const describe = (err: unknown) =>
  (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, 500)
