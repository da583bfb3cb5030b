/**
 * Enqueue a job: a queue, a task the server runs, a JSON payload and the
 * optional limits. Examples fill the form for the demo tasks (a job that
 * completes, one that sleeps, one that fails until it is dead). The server
 * validates; its refusal appears under the field it names.
 */
import { type FormEvent, useId, useState } from 'react'
import { ApiError } from '../../api/http'
import { Field } from '../../ui/field'
import { type Added, type EnqueueBody, enqueue, type Task } from './api'
import { enqueueErrors } from './enqueue-errors'

export interface EnqueueFormProps {
  queues: string[]
  tasks: Task[] | undefined
  onEnqueued: (job: Added) => void
  onOpen: (id: string) => void
}

interface Example {
  label: string
  task: string
  payload: string
  maxAttempts: string
}

const EXAMPLES: Example[] = [
  { label: 'noop (completes)', task: 'noop', payload: '{}', maxAttempts: '' },
  { label: 'sleep 5 s', task: 'sleep', payload: '{"ms": 5000}', maxAttempts: '' },
  { label: 'fail (dead after 2 attempts)', task: 'fail', payload: '{"message": "boom"}', maxAttempts: '2' },
]

const FIELDS = ['queue', 'task', 'payload', 'maxAttempts', 'priority', 'delay'] as const

/** The form. */
export function EnqueueForm({ queues, tasks, onEnqueued, onOpen }: EnqueueFormProps) {
  const listIds = useId()
  const [queue, setQueue] = useState('default')
  const [task, setTask] = useState('noop')
  const [payload, setPayload] = useState('{}')
  const [maxAttempts, setMaxAttempts] = useState('')
  const [priority, setPriority] = useState('')
  const [delay, setDelay] = useState('')
  const [busy, setBusy] = useState(false)
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [formError, setFormError] = useState<string>()
  const [added, setAdded] = useState<Added>()

  const described = tasks?.find((t) => t.name === task.trim())?.description
  const taskHint = described ?? (tasks ? `Known tasks: ${tasks.map((t) => t.name).join(', ')}` : undefined)

  function fill(e: Example) {
    setTask(e.task)
    setPayload(e.payload)
    setMaxAttempts(e.maxAttempts)
    setErrors({})
    setFormError(undefined)
  }

  async function submit(e: FormEvent) {
    e.preventDefault()
    setErrors({})
    setFormError(undefined)
    setAdded(undefined)
    const body: EnqueueBody = { task: task.trim() }
    if (payload.trim()) {
      try {
        body.payload = JSON.parse(payload)
      } catch (err) {
        setErrors({ payload: `The payload is not JSON: ${(err as Error).message}` })
        return
      }
    }
    // Numbers go as typed (the server says what is out of range); text that is no number is said here.
    const numbers: [string, string, (n: number) => void][] = [
      ['maxAttempts', maxAttempts, (n) => (body.maxAttempts = n)],
      ['priority', priority, (n) => (body.priority = n)],
      ['delay', delay, (n) => (body.runAt = new Date(Date.now() + n * 1000).toISOString())],
    ]
    const local: Record<string, string> = {}
    for (const [name, text, set] of numbers) {
      if (!text.trim()) continue
      const n = Number(text)
      if (Number.isFinite(n)) set(n)
      else local[name] = 'must be a number'
    }
    if (Object.keys(local).length > 0) return setErrors(local)
    setBusy(true)
    try {
      const out = await enqueue(queue.trim(), body)
      setAdded(out)
      onEnqueued(out)
    } catch (err) {
      const byField = err instanceof ApiError && err.problem ? enqueueErrors(err.problem) : {}
      setErrors(byField)
      // A refusal that names none of these fields (a server error, the server down) is said for the form.
      if (!FIELDS.some((f) => byField[f])) setFormError((err as Error).message)
    } finally {
      setBusy(false)
    }
  }

  return (
    <form className="card" onSubmit={submit} aria-labelledby="enqueue-heading" noValidate>
      <h2 id="enqueue-heading">Enqueue a job</h2>
      <fieldset className="examples">
        <legend className="muted">Examples</legend>
        {EXAMPLES.map((ex) => (
          <button key={ex.label} type="button" className="secondary small" onClick={() => fill(ex)}>
            {ex.label}
          </button>
        ))}
      </fieldset>
      <div className="form-grid">
        <Field
          label="Task"
          name="task"
          list={`${listIds}-tasks`}
          autoComplete="off"
          value={task}
          onChange={(e) => setTask(e.target.value)}
          hint={taskHint}
          error={errors.task}
        />
        <Field
          label="Queue"
          name="queue"
          list={`${listIds}-queues`}
          autoComplete="off"
          value={queue}
          onChange={(e) => setQueue(e.target.value)}
          error={errors.queue}
        />
        <Field
          label="Payload (JSON)"
          name="payload"
          autoComplete="off"
          spellCheck={false}
          className="mono"
          value={payload}
          onChange={(e) => setPayload(e.target.value)}
          error={errors.payload}
        />
        <Field
          label="Max attempts (optional)"
          name="maxAttempts"
          inputMode="numeric"
          placeholder="25"
          value={maxAttempts}
          onChange={(e) => setMaxAttempts(e.target.value)}
          error={errors.maxAttempts}
        />
        <Field
          label="Priority (optional)"
          name="priority"
          inputMode="numeric"
          placeholder="0 (higher runs first)"
          value={priority}
          onChange={(e) => setPriority(e.target.value)}
          error={errors.priority}
        />
        <Field
          label="Delay in seconds (optional)"
          name="delay"
          inputMode="decimal"
          placeholder="0"
          value={delay}
          onChange={(e) => setDelay(e.target.value)}
          error={errors.delay}
        />
      </div>
      <datalist id={`${listIds}-tasks`}>
        {(tasks ?? []).map((t) => (
          <option key={t.name} value={t.name} />
        ))}
      </datalist>
      <datalist id={`${listIds}-queues`}>
        {queues.map((q) => (
          <option key={q} value={q} />
        ))}
      </datalist>
      {formError && (
        <p className="form-error" role="alert">
          {formError}
        </p>
      )}
      <div className="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Enqueueing…' : 'Enqueue'}
        </button>
        {added && (
          <>
            <output className="success">
              {added.deduplicated ? 'Matched pending job' : 'Enqueued job'} #{added.id} ({added.state})
            </output>
            <button type="button" className="secondary small" onClick={() => onOpen(added.id)}>
              Open job #{added.id}
            </button>
          </>
        )}
      </div>
    </form>
  )
}
