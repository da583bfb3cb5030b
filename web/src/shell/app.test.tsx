// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type Handler, healthyServer, problem, serverDown, stubFetch } from '../testing/fake-server'
import { App } from './app'

const urlShortener = { name: 'url-shortener', description: 'Short links' }

function open(path: string) {
  window.history.pushState(null, '', path)
  return render(<App pollMs={50} />)
}

beforeEach(() => window.localStorage.clear())
afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
})

describe('home page', () => {
  it('lists every running system as healthy, with links to its page and its API docs', async () => {
    stubFetch(healthyServer([urlShortener, { name: 'jobs', description: 'Job queue' }]))
    open('/')
    const card = (await screen.findByRole('heading', { name: 'url-shortener' })).closest('article')!
    expect(within(card).getByText('healthy')).toBeTruthy()
    expect(within(card).getByRole('link', { name: 'Open url-shortener' }).getAttribute('href')).toBe(
      '/console/url-shortener',
    )
    expect(within(card).getByRole('link', { name: 'API docs' }).getAttribute('href')).toBe(
      '/docs#/url-shortener',
    )
    expect(screen.getByRole('heading', { name: 'jobs' })).toBeTruthy()
    expect(screen.queryByRole('heading', { name: 'platform' })).toBeNull()
  })

  it('shows a system unhealthy, naming the failing dependency, when /readyz says 503', async () => {
    stubFetch({
      ...healthyServer([urlShortener]),
      '/readyz': () =>
        problem(503, {
          title: 'Service Unavailable',
          detail: 'database is unavailable: connection refused',
          code: 'DEPENDENCY_UNAVAILABLE',
          checks: { database: { status: 'failing', error: 'connection refused' }, bus: { status: 'ok' } },
        }),
    })
    open('/')
    const card = (await screen.findByRole('heading', { name: 'url-shortener' })).closest('article')!
    expect(await within(card).findByText('unhealthy')).toBeTruthy()
    expect(within(card).getByRole('list', { name: 'Failing dependencies' }).textContent).toBe(
      'database: connection refused',
    )
  })

  it('shows an error with a retry when the server is down, and recovers when it is back', async () => {
    const routes: Record<string, Handler> = {
      '/openapi.json': serverDown(),
      '/readyz': serverDown(),
      '/metrics': serverDown(),
    }
    stubFetch(routes)
    open('/')
    expect(await screen.findByText('Cannot load the systems')).toBeTruthy()
    expect(screen.getByText('The server is not answering.')).toBeTruthy()
    Object.assign(routes, healthyServer([urlShortener]))
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }))
    expect(await screen.findByRole('heading', { name: 'url-shortener' })).toBeTruthy()
    expect(screen.queryByText('The server is not answering.')).toBeNull()
  })

  it('keeps the systems on screen and raises the banner when a later poll fails', async () => {
    const routes = healthyServer([urlShortener])
    stubFetch(routes)
    open('/')
    await screen.findByText('healthy')
    routes['/metrics'] = serverDown()
    expect(await screen.findByRole('alert')).toBeTruthy()
    expect(screen.getByText('The server is not answering.')).toBeTruthy()
    expect(screen.getByRole('heading', { name: 'url-shortener' })).toBeTruthy()
    expect(screen.getByText('unknown')).toBeTruthy()
  })
})

describe('routes', () => {
  it("opens a system's page from its card, with the page its folder contributes", async () => {
    stubFetch(healthyServer([urlShortener]))
    open('/')
    const link = await screen.findByRole('link', { name: 'Open url-shortener' })
    await act(async () => {
      fireEvent.click(link)
    })
    expect(window.location.pathname).toBe('/console/url-shortener')
    expect(await screen.findByRole('heading', { level: 1, name: 'url-shortener' })).toBeTruthy()
    expect(await screen.findByLabelText('API key')).toBeTruthy()
  })

  it('says so when a system does not run here, or a path is unknown', async () => {
    stubFetch(healthyServer([urlShortener]))
    open('/console/nope')
    expect(await screen.findByText('No system called “nope” runs here')).toBeTruthy()
    cleanup()
    open('/elsewhere')
    expect(await screen.findByText('No such page')).toBeTruthy()
  })
})
