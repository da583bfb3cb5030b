// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiError } from '../../api/http'
import { json, problem, stubFetch } from '../../testing/fake-server'
import { CreateForm } from './create-form'
import UrlShortenerPage from './page'

const system = { name: 'url-shortener', description: 'Short links' }
const link = {
  shortCode: 'abc12',
  shortUrl: 'http://localhost/abc12',
  longUrl: 'https://example.com/a',
  dateCreated: '2026-01-01T00:00:00+00:00',
  visitsSummary: { total: 2, nonBots: 2, bots: 0 },
  tags: [],
  title: null,
}
const paged = (data: unknown[]) => ({ data, pagination: { totalItems: data.length } })

beforeEach(() => window.localStorage.clear())
afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
})

function submitWith(longUrl: string, slug = '') {
  fireEvent.change(screen.getByLabelText('Long URL'), { target: { value: longUrl } })
  fireEvent.change(screen.getByLabelText('Custom slug (optional)'), { target: { value: slug } })
  fireEvent.click(screen.getByRole('button', { name: 'Shorten' }))
}

/** The message tied to the input labelled `label` through aria-describedby. */
function errorOf(label: string): string | undefined {
  const input = screen.getByLabelText(label)
  if (input.getAttribute('aria-invalid') !== 'true') return undefined
  const ids = input.getAttribute('aria-describedby')?.split(' ') ?? []
  return ids.map((id) => document.getElementById(id)?.textContent).join(' ')
}

describe('create form', () => {
  it("shows the server's message next to the field it names", async () => {
    const create = vi.fn().mockRejectedValueOnce(
      new ApiError('http', 'Provided data is not valid', 400, {
        type: 'https://shlink.io/api/error/invalid-data',
        title: 'Invalid data',
        detail: 'Provided data is not valid',
        invalidElements: ['longUrl'],
        reason: 'the scheme javascript: is not allowed (it runs script in the page)',
      }),
    )
    render(<CreateForm create={create} onCreated={() => {}} />)
    submitWith('javascript:x')
    await waitFor(() => expect(errorOf('Long URL')).toContain('the scheme javascript: is not allowed'))
    expect(errorOf('Custom slug (optional)')).toBeUndefined()
    expect(create).toHaveBeenCalledWith({ longUrl: 'javascript:x' })
  })

  it("puts Shlink's invalidElements and a taken slug under the slug field", async () => {
    const create = vi
      .fn()
      .mockRejectedValueOnce(
        new ApiError('http', 'Provided data is not valid', 400, {
          type: 'https://shlink.io/api/error/invalid-data',
          title: 'Invalid data',
          detail: 'Provided data is not valid: the custom slug may only contain letters',
          invalidElements: ['customSlug'],
        }),
      )
      .mockRejectedValueOnce(
        new ApiError('http', 'Provided slug "docs" is already in use.', 400, {
          type: 'https://shlink.io/api/error/non-unique-slug',
          title: 'Invalid custom slug',
          detail: 'Provided slug "docs" is already in use.',
          customSlug: 'docs',
        }),
      )
    render(<CreateForm create={create} onCreated={() => {}} />)
    submitWith('https://example.com', 'bad slug!')
    await waitFor(() => expect(errorOf('Custom slug (optional)')).toContain('may only contain letters'))
    submitWith('https://example.com', 'docs')
    await waitFor(() => expect(errorOf('Custom slug (optional)')).toContain('is already in use'))
    expect(errorOf('Long URL')).toBeUndefined()
  })

  it('shows a refusal that names no field for the whole form, and the new link on success', async () => {
    const create = vi
      .fn()
      .mockRejectedValueOnce(new ApiError('network', 'The server did not answer'))
      .mockResolvedValueOnce(link)
    const onCreated = vi.fn()
    render(<CreateForm create={create} onCreated={onCreated} />)
    submitWith('https://example.com/a')
    expect((await screen.findByRole('alert')).textContent).toBe('The server did not answer')
    submitWith('https://example.com/a')
    expect(await screen.findByText('http://localhost/abc12')).toBeTruthy()
    expect(onCreated).toHaveBeenCalledWith(link)
  })
})

describe('page', () => {
  it('asks for an API key, then lists the short URLs and charts their visits', async () => {
    const fetch = stubFetch({
      '/rest/v3/short-urls': () => json({ shortUrls: paged([link]) }),
      '/rest/v3/visits/non-orphan': () =>
        json({
          visits: paged([
            { date: new Date().toISOString(), potentialBot: false, referer: null, userAgent: null },
          ]),
        }),
    })
    render(<UrlShortenerPage system={system} />)
    expect(screen.getByText('Paste an API key to list and create short URLs.')).toBeTruthy()
    fireEvent.change(screen.getByLabelText('API key'), { target: { value: ' secret ' } })
    fireEvent.click(screen.getByRole('button', { name: 'Save key' }))
    expect(await screen.findByRole('link', { name: 'abc12' })).toBeTruthy()
    expect(await screen.findByText(/Visits of every short URL per minute \(1 in all\)/)).toBeTruthy()
    expect(window.localStorage.getItem('blueprints.url-shortener.apiKey')).toBe('secret')
    const init = fetch.mock.calls[0]?.[1] as RequestInit
    expect((init.headers as Record<string, string>)['x-api-key']).toBe('secret')
  })

  it('shows a refused key under the key field', async () => {
    window.localStorage.setItem('blueprints.url-shortener.apiKey', 'wrong')
    stubFetch({
      '/rest/v3/short-urls': () =>
        problem(401, {
          type: 'https://shlink.io/api/error/invalid-api-key',
          title: 'Invalid API key',
          detail: 'Provided API key does not exist or is invalid.',
        }),
      '/rest/v3/visits/non-orphan': () => json({ visits: paged([]) }),
    })
    render(<UrlShortenerPage system={system} />)
    await waitFor(() =>
      expect(errorOf('API key (saved in this browser)')).toContain('does not exist or is invalid'),
    )
    expect(screen.queryByRole('button', { name: 'Shorten' })).toBeNull()
  })

  it('shows an error with a retry when the list cannot be loaded', async () => {
    window.localStorage.setItem('blueprints.url-shortener.apiKey', 'k')
    stubFetch({
      '/rest/v3/short-urls': () =>
        problem(500, { title: 'Internal Server Error', detail: 'it has been logged' }),
      '/rest/v3/visits/non-orphan': () => json({ visits: paged([]) }),
    })
    render(<UrlShortenerPage system={system} />)
    expect(await screen.findByText('The short URLs could not be loaded')).toBeTruthy()
    expect(screen.getByText('it has been logged')).toBeTruthy()
    expect(screen.getByRole('button', { name: 'Try again' })).toBeTruthy()
  })
})
