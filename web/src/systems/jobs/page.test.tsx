// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { json, problem, serverDown, stubFetch } from '../../testing/fake-server'
import type { Job, Queue } from './api'
import { emptyCounts } from './depth'
import JobsPage from './page'

const system = { name: 'jobs', description: 'Job queue' }

const queue = (name: string, counts: Partial<Queue['counts']>, paused = false): Queue => ({
  name,
  paused,
  concurrency: null,
  rateLimit: null,
  ratePeriodMs: null,
  groupRateLimit: null,
  groupRatePeriodMs: null,
  createdAt: '2026-01-01T00:00:00Z',
  counts: { ...emptyCounts(), ...counts },
})

const job = (id: string, over: Partial<Job>): Job => ({
  id,
  queue: 'default',
  task: 'noop',
  payload: {},
  state: 'completed',
  priority: 0,
  runAt: '2026-01-01T00:00:00Z',
  attemptsMade: 1,
  maxAttempts: 25,
  key: null,
  groupKey: null,
  timeoutMs: null,
  progress: null,
  result: null,
  lastError: null,
  stalls: 0,
  dependsOn: [],
  pendingDependencies: 0,
  schedule: null,
  lockedBy: null,
  createdAt: '2026-01-01T00:00:00Z',
  startedAt: '2026-01-01T00:00:00Z',
  finishedAt: '2026-01-01T00:00:01Z',
  ...over,
})

const dead = job('3', {
  task: 'fail',
  payload: { message: 'boom' },
  state: 'dead',
  attemptsMade: 2,
  maxAttempts: 2,
  lastError: 'Error: boom',
  attempts: [1, 2].map((attempt) => ({
    attempt,
    worker: 'host:1:abc',
    error: 'Error: boom',
    stack: `Error: boom\n    at handler (tasks.ts:50:11) #${attempt}`,
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:00.250Z',
  })),
})
const active = job('4', { task: 'sleep', payload: { ms: 60000 }, state: 'active', finishedAt: null })
const done = job('1', {})

const tasks = {
  tasks: [
    { name: 'fail', description: 'throws an error with payload.message' },
    { name: 'noop', description: 'does nothing and completes' },
    { name: 'sleep', description: 'waits payload.ms milliseconds' },
  ],
}

/** The routes of a healthy jobs system holding `dead`, `active` and `done`. */
function server(over: Record<string, Parameters<typeof stubFetch>[0][string]> = {}) {
  return stubFetch({
    '/jobs/queues': () =>
      json({
        queues: [
          queue('default', { active: 1, completed: 1, dead: 1 }),
          // A queue another system declared (platform/jobs): the page names its owner.
          { ...queue('mail', { waiting: 2 }, true), system: 'payments' },
        ],
      }),
    '/jobs/jobs': (_init, url) => {
      const state = new URL(url, 'http://x').searchParams.get('state')
      return json({ jobs: [active, dead, done].filter((j) => !state || j.state === state), next: null })
    },
    '/jobs/jobs/3': () => json(dead),
    '/jobs/jobs/4': () => json(active),
    '/jobs/tasks': () => json(tasks),
    ...over,
  })
}

/** The URLs and methods the page asked for. */
function calls(fetch: ReturnType<typeof stubFetch>): string[] {
  return fetch.mock.calls.map(([url, init]) => `${(init as RequestInit | undefined)?.method ?? 'GET'} ${url}`)
}

/** The message tied to the input labelled `label` through aria-describedby, when it is marked invalid. */
function errorOf(label: string): string | undefined {
  const input = screen.getByLabelText(label)
  if (input.getAttribute('aria-invalid') !== 'true') return undefined
  const ids = input.getAttribute('aria-describedby')?.split(' ') ?? []
  return ids
    .map((id) => document.getElementById(id))
    .filter((e) => e?.classList.contains('field-error'))
    .map((e) => e?.textContent)
    .join(' ')
}

afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
  window.localStorage.clear()
})

/** The same routes behind JOBS_API_TOKEN: without `Bearer <token>` every one answers 401. */
function guarded(token: string, over: Parameters<typeof server>[0] = {}) {
  const fetch = server(over)
  const inner = fetch.getMockImplementation()!
  fetch.mockImplementation(async (input, init) => {
    const auth = (init?.headers as Record<string, string> | undefined)?.authorization
    if (auth === `Bearer ${token}`) return inner(input, init)
    return problem(401, {
      title: 'Unauthorized',
      code: 'JOBS_UNAUTHORIZED',
      detail: 'the jobs API needs Authorization: Bearer <JOBS_API_TOKEN>',
    })
  })
  return fetch
}

describe('jobs page', () => {
  it('shows the queues with their counts per state, the depth chart and the newest jobs', async () => {
    server()
    render(<JobsPage system={system} />)
    const row = await waitFor(() => {
      const r = document.querySelector<HTMLElement>('tr[data-queue="default"]')
      expect(r).not.toBeNull()
      return r!
    })
    expect(row.querySelector('[data-count="dead"]')?.textContent).toBe('1')
    expect(row.querySelector('[data-count="active"]')?.textContent).toBe('1')
    const mail = document.querySelector<HTMLElement>('tr[data-queue="mail"]')!
    expect(mail.querySelector('[data-count="waiting"]')?.textContent).toBe('2')
    expect(within(mail).getByText('paused')).toBeTruthy()
    expect(within(mail).getByRole('button', { name: 'Resume mail' })).toBeTruthy()
    expect(mail.querySelector('.queue-owner')?.textContent).toBe(' · payments')
    expect(row.querySelector('.queue-owner')).toBeNull()
    // The chart's caption says the newest depths in words (the canvas is hidden from screen readers).
    expect(await screen.findByText('now: waiting 2, failed 0, active 1, scheduled 0')).toBeTruthy()
    await waitFor(() => expect(document.querySelectorAll('tr[data-job]')).toHaveLength(3))
    const deadRow = document.querySelector<HTMLElement>('tr[data-job="3"]')!
    expect(within(deadRow).getByText('fail')).toBeTruthy()
    expect(deadRow.querySelector('[data-state]')?.getAttribute('data-state')).toBe('dead')
    expect(within(deadRow).getByText('2/2')).toBeTruthy()
    expect(within(deadRow).getByText('Error: boom')).toBeTruthy()
  })

  it('filters the list by state through the API', async () => {
    const fetch = server()
    render(<JobsPage system={system} />)
    await waitFor(() => expect(document.querySelectorAll('tr[data-job]')).toHaveLength(3))
    fireEvent.change(screen.getByLabelText('State'), { target: { value: 'dead' } })
    await waitFor(() => expect(document.querySelectorAll('tr[data-job]')).toHaveLength(1))
    expect(calls(fetch)).toContain('GET /jobs/jobs?limit=50&state=dead')
  })

  it('pages back through older jobs with the API cursor, and returns to the newest', async () => {
    const page = (ids: string[], next: string | null) => json({ jobs: ids.map((id) => job(id, {})), next })
    const fetch = server({
      '/jobs/jobs': (_init, url) => {
        const before = new URL(url, 'http://x').searchParams.get('before')
        if (before === null) return page(['1200', '1001'], '1001')
        if (before === '1001') return page(['1000', '999'], '999')
        return page(['5'], null)
      },
    })
    render(<JobsPage system={system} />)
    await waitFor(() => expect(document.querySelector('tr[data-job="1200"]')).toBeTruthy())
    fireEvent.click(screen.getByRole('button', { name: 'Older' }))
    await waitFor(() => expect(document.querySelector('tr[data-job="999"]')).toBeTruthy())
    expect(calls(fetch)).toContain('GET /jobs/jobs?limit=50&before=1001')
    fireEvent.click(screen.getByRole('button', { name: 'Older' }))
    await waitFor(() => expect(document.querySelector('tr[data-job="5"]')).toBeTruthy())
    expect(calls(fetch)).toContain('GET /jobs/jobs?limit=50&before=999')
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Older' }).disabled).toBe(true)
    expect(screen.getByText('Page 3')).toBeTruthy()
    fireEvent.click(screen.getByRole('button', { name: 'Newer' }))
    await waitFor(() => expect(document.querySelector('tr[data-job="1000"]')).toBeTruthy())
    fireEvent.click(screen.getByRole('button', { name: 'Newest' }))
    await waitFor(() => expect(document.querySelector('tr[data-job="1200"]')).toBeTruthy())
  })

  it('opens a job with its attempts, errors and stacks, and redrives it', async () => {
    const fetch = server({ '/jobs/jobs/3/redrive': () => json({ id: '3', state: 'waiting' }) })
    render(<JobsPage system={system} />)
    fireEvent.click(await screen.findByRole('button', { name: 'Open job 3' }))
    const detail = await screen.findByTestId('job-detail')
    await waitFor(() => expect(within(detail).getByTestId('attempts-made').textContent).toBe('2 of 2'))
    const attempts = within(detail).getAllByRole('listitem')
    expect(attempts).toHaveLength(2)
    expect(within(attempts[0]!).getByText('Error: boom')).toBeTruthy()
    const stack = within(attempts[1]!).getByText(/at handler \(tasks\.ts:50:11\) #2/)
    expect(stack.hidden).toBe(true)
    fireEvent.click(within(attempts[1]!).getByRole('button', { name: 'Show stack of attempt 2' }))
    expect(stack.hidden).toBe(false)
    expect(document.activeElement?.id).toBe('job-heading')

    fireEvent.click(within(detail).getByRole('button', { name: 'Redrive job' }))
    expect(await within(detail).findByText('Job 3 redriven: waiting, with fresh attempts.')).toBeTruthy()
    expect(calls(fetch)).toContain('POST /jobs/jobs/3/redrive')
    // A dead job cannot be cancelled: the button says why instead of asking the server.
    fireEvent.click(within(detail).getByRole('button', { name: 'Cancel job' }))
    expect(within(detail).getByRole('alert').textContent).toContain('only unfinished jobs can be cancelled')
    expect(calls(fetch).some((c) => c.includes('/cancel'))).toBe(false)
  })

  it("cancels a running job, and shows the server's refusal when it comes too late", async () => {
    const answers = [
      json({ id: '4', state: 'cancelled' }),
      problem(409, {
        title: 'Conflict',
        code: 'JOBS_NOT_CANCELLABLE',
        detail: 'Job 4 is completed and cannot be cancelled',
      }),
    ]
    const fetch = server({ '/jobs/jobs/4/cancel': () => answers.shift()! })
    render(<JobsPage system={system} />)
    fireEvent.click(await screen.findByRole('button', { name: 'Open job 4' }))
    const detail = await screen.findByTestId('job-detail')
    const cancel = await within(detail).findByRole('button', { name: 'Cancel job' })
    await waitFor(() => expect(cancel.getAttribute('aria-disabled')).toBeNull())
    fireEvent.click(cancel)
    expect(await within(detail).findByText('Job 4 is cancelled.')).toBeTruthy()
    fireEvent.click(cancel)
    expect((await within(detail).findByRole('alert')).textContent).toBe(
      'Job 4 is completed and cannot be cancelled',
    )
    expect(calls(fetch).filter((c) => c === 'POST /jobs/jobs/4/cancel')).toHaveLength(2)
    // A running job is not redriven: said on the spot.
    fireEvent.click(within(detail).getByRole('button', { name: 'Redrive job' }))
    expect(within(detail).getByRole('alert').textContent).toContain(
      'only dead or cancelled jobs are redriven',
    )
  })

  it('pauses a queue and redrives its dead jobs', async () => {
    const fetch = server({
      '/jobs/queues/default/pause': () => json({ name: 'default', paused: true }),
      '/jobs/redrive': () => json({ redriven: 1, ids: ['3'] }),
    })
    render(<JobsPage system={system} />)
    fireEvent.click(await screen.findByRole('button', { name: 'Pause default' }))
    expect(await screen.findByText(/Queue default paused/)).toBeTruthy()
    fireEvent.click(screen.getByRole('button', { name: 'Redrive dead and cancelled of default' }))
    expect(await screen.findByText('1 job of default redriven.')).toBeTruthy()
    const redrive = fetch.mock.calls.find(([url]) => url === '/jobs/redrive')!
    expect(JSON.parse(String((redrive[1] as RequestInit).body))).toEqual({ queue: 'default' })
    expect(calls(fetch)).toContain('POST /jobs/queues/default/pause')
    // The mail queue has nothing to redrive: the button says so and asks nothing.
    fireEvent.click(screen.getByRole('button', { name: 'Redrive dead and cancelled of mail' }))
    expect(await screen.findByText('Queue mail has no dead or cancelled job.')).toBeTruthy()
    expect(calls(fetch).filter((c) => c.startsWith('POST /jobs/redrive'))).toHaveLength(1)
  })

  it('enqueues a job and offers to open it', async () => {
    const fetch = server({
      '/jobs/queues/default/jobs': () => json({ id: '9', state: 'waiting', deduplicated: false }, 201),
    })
    render(<JobsPage system={system} />)
    fireEvent.click(screen.getByRole('button', { name: 'fail (dead after 2 attempts)' }))
    fireEvent.click(screen.getByRole('button', { name: 'Enqueue' }))
    expect(await screen.findByText('Enqueued job #9 (waiting)')).toBeTruthy()
    const post = fetch.mock.calls.find(([url]) => url === '/jobs/queues/default/jobs')!
    expect(JSON.parse(String((post[1] as RequestInit).body))).toEqual({
      task: 'fail',
      payload: { message: 'boom' },
      maxAttempts: 2,
    })
    expect(screen.getByRole('button', { name: 'Open job #9' })).toBeTruthy()
  })

  it("shows a refused enqueue's message next to the field it names", async () => {
    const answers = [
      problem(400, {
        type: '/problems/validation-failed',
        title: 'Bad Request',
        code: 'VALIDATION_FAILED',
        detail: 'body/maxAttempts must be >= 1',
        errors: [{ path: 'body/maxAttempts', message: 'must be >= 1' }],
      }),
      problem(422, {
        title: 'Unprocessable Content',
        code: 'JOBS_UNKNOWN_TASK',
        detail: 'There is no task named nope; known: fail, noop, sleep',
      }),
      problem(422, {
        title: 'Unprocessable Content',
        code: 'JOBS_INVALID',
        detail: 'payload.ms must be an integer between 0 and 3600000',
      }),
      problem(404, {
        title: 'Not Found',
        code: 'JOBS_UNKNOWN_QUEUE',
        detail: 'There is no queue named nowhere',
      }),
    ]
    const fetch = server({
      '/jobs/queues/default/jobs': () => answers.shift()!,
      '/jobs/queues/nowhere/jobs': () => answers.shift()!,
    })
    render(<JobsPage system={system} />)
    const submit = () => fireEvent.click(screen.getByRole('button', { name: 'Enqueue' }))
    const set = (label: string, value: string) =>
      fireEvent.change(screen.getByLabelText(label), { target: { value } })

    set('Max attempts (optional)', '0')
    submit()
    await waitFor(() => expect(errorOf('Max attempts (optional)')).toBe('must be >= 1'))
    expect(errorOf('Task')).toBeUndefined()

    set('Max attempts (optional)', '')
    set('Task', 'nope')
    submit()
    await waitFor(() => expect(errorOf('Task')).toContain('There is no task named nope'))
    expect(errorOf('Max attempts (optional)')).toBeUndefined()

    set('Task', 'sleep')
    set('Payload (JSON)', '{"ms": -1}')
    submit()
    await waitFor(() => expect(errorOf('Payload (JSON)')).toContain('payload.ms must be an integer'))

    set('Payload (JSON)', '{}')
    set('Queue', 'nowhere')
    submit()
    await waitFor(() => expect(errorOf('Queue')).toBe('There is no queue named nowhere'))

    // Text that is not JSON is said before anything is sent.
    const sent = fetch.mock.calls.length
    set('Payload (JSON)', '{ms: 5}')
    submit()
    await waitFor(() => expect(errorOf('Payload (JSON)')).toContain('The payload is not JSON'))
    expect(fetch.mock.calls.slice(sent).some(([, init]) => (init as RequestInit)?.method === 'POST')).toBe(
      false,
    )
  })

  it('shows an error box with a retry when the API fails, and recovers', async () => {
    let down = true
    server({
      '/jobs/queues': () =>
        down
          ? problem(500, { title: 'Internal Server Error', detail: 'the database is away' })
          : json({ queues: [queue('default', { waiting: 1 })] }),
      '/jobs/jobs': serverDown(),
    })
    render(<JobsPage system={system} />)
    expect(await screen.findByText('The queues could not be loaded')).toBeTruthy()
    expect(screen.getByText('the database is away')).toBeTruthy()
    expect(await screen.findByText('The jobs could not be loaded')).toBeTruthy()
    expect(screen.getByText(/did not answer \/jobs\/jobs/)).toBeTruthy()
    down = false
    const box = screen.getByText('The queues could not be loaded').closest('.error-box') as HTMLElement
    fireEvent.click(within(box).getByRole('button', { name: 'Try again' }))
    await waitFor(() => expect(screen.queryByText('The queues could not be loaded')).toBeNull())
    expect(document.querySelector('tr[data-queue="default"] [data-count="waiting"]')?.textContent).toBe('1')
  })

  it('asks for the API token when the server requires one, then sends it on every call', async () => {
    const fetch = guarded('t0ken', {
      '/jobs/queues/default/pause': () => json({ name: 'default', paused: true }),
    })
    render(<JobsPage system={system} />)
    await waitFor(() => expect(errorOf('API token')).toContain('JOBS_API_TOKEN'))
    expect(screen.queryByRole('button', { name: 'Enqueue' })).toBeNull()
    fireEvent.change(screen.getByLabelText('API token'), { target: { value: ' t0ken ' } })
    fireEvent.click(screen.getByRole('button', { name: 'Save token' }))
    await waitFor(() => expect(document.querySelector('tr[data-queue="default"]')).not.toBeNull())
    expect(window.localStorage.getItem('blueprints.jobs.apiToken')).toBe('t0ken')
    fireEvent.click(screen.getByRole('button', { name: 'Pause default' }))
    expect(await screen.findByText(/Queue default paused/)).toBeTruthy()
    const sent = fetch.mock.calls.map(([, init]) => (init?.headers as Record<string, string>)?.authorization)
    const firstWithToken = sent.indexOf('Bearer t0ken')
    expect(firstWithToken).toBeGreaterThan(0)
    // Every call after the token was saved carries it, the POST included.
    expect(sent.slice(firstWithToken).every((a) => a === 'Bearer t0ken')).toBe(true)
    expect(calls(fetch)).toContain('POST /jobs/queues/default/pause')
  })

  it('shows a refused stored token under the field, and sends no header when there is none', async () => {
    window.localStorage.setItem('blueprints.jobs.apiToken', 'stale')
    guarded('t0ken')
    render(<JobsPage system={system} />)
    await waitFor(() => expect(errorOf('API token (saved in this browser)')).toContain('JOBS_API_TOKEN'))
    fireEvent.click(screen.getByRole('button', { name: 'Forget token' }))
    expect(window.localStorage.getItem('blueprints.jobs.apiToken')).toBeNull()
    cleanup()
    const open = server()
    render(<JobsPage system={system} />)
    await waitFor(() => expect(document.querySelector('tr[data-queue="default"]')).not.toBeNull())
    expect(screen.queryByLabelText('API token')).toBeNull()
    expect(
      open.mock.calls.every(([, init]) => !(init?.headers as Record<string, string>)?.authorization),
    ).toBe(true)
  })
})
