// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { json, problem, stubFetch } from '../../testing/fake-server'
import type { PaymentIntent } from './api'
import PaymentsPage from './page'

const system = { name: 'payments', description: 'Payments' }
const KEY = 'sk_test_0123456789abcdefghijABCDEF'

const pi = (id: string, status: string, over: Partial<PaymentIntent> = {}): PaymentIntent => ({
  id,
  object: 'payment_intent',
  amount: 2000,
  amount_received: status === 'succeeded' ? 2000 : 0,
  amount_capturable: 0,
  currency: 'usd',
  status,
  capture_method: 'automatic',
  payment_method: 'pm_card_visa',
  created: 1_796_680_000,
  last_payment_error: null,
  next_action: null,
  latest_charge: null,
  ...over,
})
const list = <T,>(data: T[]) => json({ object: 'list', data, has_more: false })
const stripeError = (status: number, error: Record<string, unknown>) => json({ error }, status)

beforeEach(() => localStorage.clear())
afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
})

const bodyOf = (fetch: ReturnType<typeof stubFetch>, path: string) => {
  const call = fetch.mock.calls.find((c) => String(c[0]) === path && c[1]?.method === 'POST')!
  return {
    form: new URLSearchParams(String(call[1]!.body)),
    headers: call[1]!.headers as Record<string, string>,
  }
}

/** A server with one succeeded payment, its events and transfers, an endpoint and two deliveries. */
function server(over: Parameters<typeof stubFetch>[0] = {}) {
  return stubFetch({
    '/v1/payment_intents': () => list([pi('pi_1', 'succeeded')]),
    '/v1/balance': () => json({ available: [{ amount: 2000, currency: 'usd' }], pending: [] }),
    '/v1/events': () =>
      list([
        {
          id: 'evt_2',
          type: 'payment_intent.succeeded',
          created: 1_796_680_001,
          data: { object: { id: 'pi_1', object: 'payment_intent' } },
        },
        {
          id: 'evt_9',
          type: 'payment_intent.created',
          created: 1_796_680_001,
          data: { object: { id: 'pi_other', object: 'payment_intent' } },
        },
        {
          id: 'evt_1',
          type: 'charge.succeeded',
          created: 1_796_680_000,
          data: { object: { id: 'ch_1', object: 'charge', payment_intent: 'pi_1' } },
        },
      ]),
    '/v1/refunds': () => list([]),
    '/payments/ledger/transfers/pi_1%3Acharge': () =>
      json({
        id: 'pi_1:charge',
        type: 'single',
        debitAccountId: 'acct_a:network:usd',
        creditAccountId: 'acct_a:balance:usd',
        amount: '2000',
        currency: 'usd',
      }),
    '/v1/webhook_endpoints': () =>
      list([{ id: 'we_1', url: 'https://example.com/hook', enabled_events: ['*'], status: 'enabled' }]),
    '/jobs/jobs': () =>
      json({
        jobs: [
          {
            id: 'j1',
            state: 'scheduled',
            attemptsMade: 2,
            maxAttempts: 8,
            lastError: 'HTTP 500',
            payload: { account: 'a', endpoint: 'we_1', event: 'evt_2' },
          },
          {
            id: 'j2',
            state: 'completed',
            attemptsMade: 1,
            maxAttempts: 8,
            lastError: null,
            payload: { account: 'b', endpoint: 'we_other', event: 'evt_x' },
          },
          {
            id: 'j3',
            state: 'completed',
            attemptsMade: 1,
            maxAttempts: 8,
            lastError: null,
            payload: { account: 'a', endpoint: 'we_1', object: 'pi_1' },
          },
        ],
        next: null,
      }),
    '/jobs/jobs/j1': () =>
      json({
        id: 'j1',
        state: 'scheduled',
        attemptsMade: 2,
        maxAttempts: 8,
        attempts: [
          {
            attempt: 1,
            worker: 'w',
            error: 'connect ECONNREFUSED',
            stack: null,
            startedAt: null,
            finishedAt: '2026-12-07T21:00:00Z',
          },
          {
            attempt: 2,
            worker: 'w',
            error: 'HTTP 500',
            stack: null,
            startedAt: null,
            finishedAt: '2026-12-07T21:00:02Z',
          },
        ],
      }),
    ...over,
  })
}

describe('payments page', () => {
  it('asks for the secret key first and calls nothing without one', async () => {
    const fetch = server()
    render(<PaymentsPage system={system} />)
    expect(screen.getByText(/PAYMENTS_INITIAL_SECRET_KEY/)).toBeTruthy()
    expect(fetch).not.toHaveBeenCalled()
    fireEvent.change(screen.getByLabelText('Secret key'), { target: { value: KEY } })
    fireEvent.click(screen.getByRole('button', { name: 'Save Secret key' }))
    await waitFor(() => expect(document.querySelector('tr[data-pi="pi_1"]')).not.toBeNull())
    const headers = fetch.mock.calls.find((c) => String(c[0]).startsWith('/v1/payment_intents'))![1]!.headers
    expect((headers as Record<string, string>).authorization).toBe(`Bearer ${KEY}`)
  })

  it("shows the server's refusal of the key under its field", async () => {
    localStorage.setItem('blueprints.payments.secretKey', 'sk_test_wrong')
    server({
      '/v1/payment_intents': () =>
        stripeError(401, {
          type: 'invalid_request_error',
          message: 'Invalid API Key provided: sk_test_***rong',
        }),
    })
    render(<PaymentsPage system={system} />)
    await waitFor(() =>
      expect(document.querySelector('.field-error')?.textContent).toBe(
        'Invalid API Key provided: sk_test_***rong',
      ),
    )
  })

  it('confirms a 3-D Secure card and offers its next-action page; a decline is an answer', async () => {
    localStorage.setItem('blueprints.payments.secretKey', KEY)
    const url = 'http://127.0.0.1/payments/3ds/pi_3?client_secret=s'
    const answers = [
      json(
        pi('pi_3', 'requires_action', {
          payment_method: 'pm_card_threeDSecure2Required',
          next_action: { type: 'redirect_to_url', redirect_to_url: { url, return_url: 'x' } },
        }),
      ),
      stripeError(402, {
        type: 'card_error',
        code: 'card_declined',
        decline_code: 'generic_decline',
        message: 'Your card was declined.',
        payment_intent: pi('pi_4', 'requires_payment_method'),
      }),
    ]
    const fetch = server({
      '/v1/payment_intents': (init) =>
        init?.method === 'POST' ? answers.shift()! : list([pi('pi_1', 'succeeded')]),
    })
    render(<PaymentsPage system={system} />)
    fireEvent.change(screen.getByLabelText('Test card'), {
      target: { value: 'pm_card_threeDSecure2Required' },
    })
    fireEvent.click(screen.getByRole('button', { name: 'Create and confirm' }))
    await waitFor(() =>
      expect(screen.getByTestId('pay-outcome').textContent).toBe('pi_3: 20.00 USD waits for 3-D Secure.'),
    )
    expect(screen.getByRole('link', { name: 'Open the 3-D Secure page' }).getAttribute('href')).toBe(url)
    const { form, headers } = bodyOf(fetch, '/v1/payment_intents')
    expect(Object.fromEntries(form)).toMatchObject({
      amount: '2000',
      currency: 'usd',
      payment_method: 'pm_card_threeDSecure2Required',
      confirm: 'true',
      capture_method: 'automatic',
    })
    expect(headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(headers['x-blueprints-client']).toBeUndefined()

    fireEvent.change(screen.getByLabelText('Test card'), { target: { value: 'pm_card_chargeDeclined' } })
    fireEvent.click(screen.getByRole('button', { name: 'Create and confirm' }))
    await waitFor(() =>
      expect(screen.getByTestId('pay-outcome').textContent).toBe(
        'pi_4: declined. Your card was declined. (generic_decline)',
      ),
    )
  })

  it("opens a payment's events and ledger transfers, and lists the account's deliveries with their attempts", async () => {
    localStorage.setItem('blueprints.payments.secretKey', KEY)
    server()
    render(<PaymentsPage system={system} />)
    await waitFor(() => expect(screen.getByRole('button', { name: 'pi_1' })).toBeTruthy())
    fireEvent.click(screen.getByRole('button', { name: 'pi_1' }))
    const detail = await screen.findByTestId('pi-detail')
    await waitFor(() =>
      expect(
        within(detail)
          .getAllByRole('listitem')
          .map((li) => li.dataset.event ?? li.dataset.transfer),
      ).toEqual(['charge.succeeded', 'payment_intent.succeeded', 'pi_1:charge']),
    )
    expect(within(detail).getByText('acct_a:network:usd')).toBeTruthy()
    expect(within(detail).getByRole('button', { name: 'Refund in full' })).toBeTruthy()
    expect(screen.getByTestId('balance').textContent).toContain('20.00 USD')

    // Only deliveries to this account's endpoints; their attempts open on demand.
    await waitFor(() => expect(document.querySelector('tr[data-delivery="j1"]')).not.toBeNull())
    expect(document.querySelector('tr[data-delivery="j2"]')).toBeNull()
    // A job per object (servers that deliver each object's events in order) names the object.
    expect(document.querySelector('tr[data-delivery="j3"]')!.textContent).toContain('events of pi_1')
    expect(document.querySelector('tr[data-delivery="j1"]')!.textContent).toContain(
      'payment_intent.succeeded',
    )
    fireEvent.click(screen.getByRole('button', { name: '2 of 8' }))
    const attempts = await screen.findByRole('list', { name: 'Attempts of delivery j1' })
    await waitFor(() => expect(within(attempts).getAllByRole('listitem')).toHaveLength(2))
    expect(attempts.textContent).toContain('connect ECONNREFUSED')
  })
})
