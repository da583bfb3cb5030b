/**
 * Webhooks: the account's endpoints (add one), and the deliveries to them with their attempts.
 * Deliveries run as jobs of the jobs system on the queue `payments.webhooks`: one job per
 * endpoint and object delivers that object's events in order, retried with backoff (older servers:
 * one job per event). The page reads them through the jobs API (`/jobs/jobs`, with its token when
 * the jobs page has one saved), keeping those addressed to this account's endpoints.
 */
import { type FormEvent, useState } from 'react'
import { ErrorBox } from '../../ui/error-box'
import { Field } from '../../ui/field'
import { usePoll } from '../../ui/use-poll'
import { getJob, type Job, listJobs } from '../jobs/api'
import { createEndpoint, listEndpoints, listEvents } from './api'

const QUEUE = 'payments.webhooks'

interface Delivery {
  job: Job
  /** The event delivered (one job per event), or the object whose events the job delivers in order. */
  event?: string
  object?: string
  endpoint: string
}

/** The deliveries among `jobs` addressed to one of `endpoints`. */
export function deliveriesOf(jobs: Job[], endpoints: Set<string>): Delivery[] {
  const out: Delivery[] = []
  for (const job of jobs) {
    const p = job.payload as { endpoint?: unknown; event?: unknown; object?: unknown } | null
    if (typeof p?.endpoint !== 'string' || !endpoints.has(p.endpoint)) continue
    if (typeof p.event === 'string') out.push({ job, event: p.event, endpoint: p.endpoint })
    else if (typeof p.object === 'string') out.push({ job, object: p.object, endpoint: p.endpoint })
  }
  return out
}

/** One delivery's attempts, read when opened. */
function Attempts({ id }: { id: string }) {
  const job = usePoll(id, (signal) => getJob(id, signal), 5_000)
  if (job.error) return <p className="form-error">{job.error.message}</p>
  if (!job.data) return <p className="muted">Reading…</p>
  const attempts = job.data.attempts ?? []
  return (
    <ol className="attempts" aria-label={`Attempts of delivery ${id}`}>
      {attempts.map((a) => (
        <li key={a.attempt}>
          attempt {a.attempt} at {new Date(a.finishedAt).toLocaleTimeString('en', { hour12: false })}:{' '}
          <span className="form-error">{a.error}</span>
        </li>
      ))}
      {job.data.state === 'completed' && (
        <li className="success">attempt {job.data.attemptsMade}: delivered</li>
      )}
      {attempts.length === 0 && job.data.state !== 'completed' && (
        <li className="muted">not attempted yet</li>
      )}
    </ol>
  )
}

/** The card. */
export function WebhooksCard() {
  const endpoints = usePoll('endpoints', listEndpoints, 5_000)
  const events = usePoll('events', listEvents, 5_000)
  const jobs = usePoll('deliveries', (signal) => listJobs({ queue: QUEUE, limit: 100 }, signal), 3_000)
  const [url, setUrl] = useState('')
  const [message, setMessage] = useState<{ ok: boolean; text: string }>()
  const [open, setOpen] = useState<string>()

  const add = async (e: FormEvent) => {
    e.preventDefault()
    setMessage(undefined)
    try {
      const ep = await createEndpoint(url.trim())
      setMessage({ ok: true, text: `Added ${ep.id}. Its signing secret (shown once): ${ep.secret}` })
      setUrl('')
      endpoints.reload()
    } catch (err) {
      setMessage({ ok: false, text: err instanceof Error ? err.message : String(err) })
    }
  }

  const mine = new Set((endpoints.data?.data ?? []).map((x) => x.id))
  const deliveries = deliveriesOf(jobs.data?.jobs ?? [], mine).slice(0, 20)
  const typeOf = new Map((events.data?.data ?? []).map((e) => [e.id, e.type]))
  return (
    <section className="card" aria-labelledby="hooks-heading">
      <h2 id="hooks-heading">Webhooks</h2>
      <form className="form-inline" onSubmit={add}>
        <Field
          label="Endpoint URL"
          type="url"
          placeholder="https://example.com/stripe-webhook"
          value={url}
          onChange={(e) => setUrl(e.target.value)}
          hint="Every event type. Private addresses are refused at delivery unless the server allows them."
        />
        <div className="actions">
          <button type="submit" disabled={!url.trim()}>
            Add endpoint
          </button>
        </div>
      </form>
      {message && (
        <p className={message.ok ? 'success' : 'form-error'} role={message.ok ? 'status' : 'alert'}>
          {message.text}
        </p>
      )}
      {endpoints.error && (
        <ErrorBox title="The endpoints could not be read">{endpoints.error.message}</ErrorBox>
      )}
      {(endpoints.data?.data.length ?? 0) > 0 && (
        <ul className="endpoints" aria-label="Endpoints">
          {endpoints.data?.data.map((ep) => (
            <li key={ep.id}>
              <code>{ep.id}</code> {ep.url} <span className="muted">({ep.status})</span>
            </li>
          ))}
        </ul>
      )}
      <h3>Deliveries</h3>
      {jobs.error && (
        <ErrorBox title="The deliveries could not be read from the jobs API">
          {jobs.error.message} (with JOBS_API_TOKEN set, save it on the jobs page)
        </ErrorBox>
      )}
      {deliveries.length === 0 ? (
        <p className="muted">None yet: each event is delivered to each endpoint that wants it.</p>
      ) : (
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
        <section className="table-wrap" aria-label="Deliveries" tabIndex={0}>
          <table className="stack-on-phone">
            <caption className="sr-only">Webhook deliveries, newest first</caption>
            <thead>
              <tr>
                <th scope="col">events</th>
                <th scope="col">endpoint</th>
                <th scope="col">state</th>
                <th scope="col" className="num">
                  attempts
                </th>
                <th scope="col">last error</th>
              </tr>
            </thead>
            <tbody>
              {deliveries.map((d) => (
                <tr key={d.job.id} data-delivery={d.job.id} data-state={d.job.state}>
                  <td>
                    {d.event ? (
                      <>
                        {typeOf.get(d.event) ?? 'event'} <code className="muted">{d.event}</code>
                      </>
                    ) : (
                      <>
                        events of <code>{d.object}</code>
                      </>
                    )}
                  </td>
                  <td>
                    <code>{d.endpoint}</code>
                  </td>
                  <td data-label="state">{d.job.state}</td>
                  <td className="num" data-label="attempts">
                    <button
                      type="button"
                      className="small secondary"
                      aria-expanded={open === d.job.id}
                      onClick={() => setOpen(open === d.job.id ? undefined : d.job.id)}
                    >
                      {d.job.attemptsMade} of {d.job.maxAttempts}
                    </button>
                  </td>
                  <td className="long-url" data-label="last error">
                    {d.job.lastError ?? '—'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      {open && <Attempts id={open} />}
    </section>
  )
}
