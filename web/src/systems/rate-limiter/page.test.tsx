// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { json, problem, stubFetch } from '../../testing/fake-server'
import RateLimiterPage from './page'

const system = { name: 'rate-limiter', description: 'Rate limiter' }
const status = (code: 'OK' | 'OVER_LIMIT', remaining: number) => ({
  overallCode: code,
  statuses: [
    {
      code,
      currentLimit: { requestsPerUnit: 5, unit: 'SECOND' },
      limitRemaining: remaining,
      durationUntilReset: '1s',
    },
  ],
})
const stats = {
  store: 'memory',
  grpc: { host: '127.0.0.1', port: 8081 },
  config: { source: 'file' },
  rules: [
    {
      id: 'demo.algorithm_gcra',
      domain: 'demo',
      allowed: 2,
      limited: 1,
      shadowLimited: 0,
      unlimited: 0,
      storeErrors: 0,
      fallback: 0,
    },
  ],
}

afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
})

function fire(count: string) {
  fireEvent.change(screen.getByLabelText('Requests'), { target: { value: count } })
  fireEvent.change(screen.getByLabelText('Gap between requests (ms)'), { target: { value: '0' } })
  fireEvent.click(screen.getByRole('button', { name: 'Fire' }))
}

describe('rate limiter page', () => {
  it('fires a burst and shows which requests were admitted, with 429 read as an answer', async () => {
    const answers = [json(status('OK', 1)), json(status('OK', 0)), json(status('OVER_LIMIT', 0), 429)]
    const fetch = stubFetch({
      '/rate-limiter/json': () => answers.shift()!,
      '/rate-limiter/stats': () => json(stats),
    })
    render(<RateLimiterPage system={system} />)
    fireEvent.click(screen.getByRole('button', { name: 'gcra' }))
    fire('3')
    await waitFor(() =>
      expect(screen.getByTestId('playground-summary').textContent).toContain('2 admitted, 1 refused'),
    )
    expect(screen.getByTestId('playground-summary').textContent).toContain('limit 5 per second')
    expect(screen.getAllByRole('listitem').map((li) => li.className)).toEqual([
      'shot shot-ok',
      'shot shot-ok',
      'shot shot-limited',
    ])
    const sent = JSON.parse(String(fetch.mock.calls.find((c) => String(c[0]).includes('/json'))![1]!.body))
    expect(sent).toEqual({
      domain: 'demo',
      descriptors: [{ entries: [{ key: 'algorithm', value: 'gcra' }] }],
      hitsAddend: 1,
    })
    // The live view lists the rule and says where decisions are taken.
    await waitFor(() => expect(document.querySelector('tr[data-rule="demo.algorithm_gcra"]')).not.toBeNull())
    expect(screen.getByTestId('store-state').textContent).toContain('kept in this process')
  })

  it("shows the server's refusal next to the field it names", async () => {
    stubFetch({
      '/rate-limiter/json': () =>
        problem(400, {
          title: 'Bad Request',
          detail: 'descriptors[0].entries[0].value: must be a non-empty string',
          invalidParams: [{ name: 'descriptors[0].entries[0].value', reason: 'must be a non-empty string' }],
        }),
      '/rate-limiter/stats': () => json(stats),
    })
    render(<RateLimiterPage system={system} />)
    fireEvent.change(screen.getByLabelText('Descriptor value'), { target: { value: '' } })
    fire('1')
    await waitFor(() =>
      expect(screen.getByLabelText('Descriptor value').getAttribute('aria-invalid')).toBe('true'),
    )
    expect(document.querySelector('.field-error')?.textContent).toBe('must be a non-empty string')
  })

  it('says so when the counters cannot be read, and offers a retry', async () => {
    stubFetch({
      '/rate-limiter/stats': () =>
        problem(503, { title: 'Service Unavailable', detail: 'down for a moment' }),
    })
    render(<RateLimiterPage system={system} />)
    await waitFor(() => expect(screen.getByText('down for a moment')).toBeTruthy())
    expect(screen.getByRole('button', { name: 'Try again' })).toBeTruthy()
  })
})
