// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { json, problem, stubFetch } from '../../testing/fake-server'
import type { HistoryMessage, Member, MyRoom } from './api'
import { ChatClient } from './chat-client'
import { fakeSockets, messageFrame } from './fake-socket'
import ChatPage from './page'

const system = { name: 'chat', description: 'Real-time chat' }
const AT = new Date().toISOString()
const session = {
  user: 'alice',
  token: 'tok-alice',
  expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
}

const room = (id: number, name: string, kind: MyRoom['kind'], head: number, lastRead = head): MyRoom => ({
  id,
  kind,
  name,
  topic: '',
  createdBy: 'alice',
  head,
  createdAt: AT,
  role: 'owner',
  lastRead,
})

const stored = (offset: number, sender: string, body: string): HistoryMessage => ({
  room: 1,
  offset,
  sender,
  body,
  cid: null,
  parent: null,
  at: AT,
  editedAt: null,
  deleted: false,
  reactions: {},
  replies: 0,
})

const member = (user: string, lastRead: number): Member => ({ user, role: 'member', lastRead, joinedAt: AT })

/** The chat server: room 1 "general" (messages 3, 4, 5 after two joins) and a direct room with bob. */
function server(over: Parameters<typeof stubFetch>[0] = {}) {
  return stubFetch({
    '/chat/rooms': () => json([room(1, 'general', 'public', 5), room(2, 'alice, bob', 'direct', 2)]),
    '/chat/rooms/public': () => json([room(1, 'general', 'public', 5), room(9, 'random', 'public', 1)]),
    '/chat/rooms/1/messages': () =>
      json({
        messages: [
          stored(3, 'bob', 'hi all'),
          stored(4, 'alice', 'hello bob'),
          stored(5, 'carol', '<b>x</b>'),
        ],
        hasMore: false,
        head: 5,
      }),
    '/chat/rooms/1/members': () => json([member('alice', 5), member('bob', 4), member('carol', 5)]),
    ...over,
  })
}

/** The URLs the page asked for, with their methods. */
function calls(fetch: ReturnType<typeof stubFetch>): string[] {
  return fetch.mock.calls.map(([url, init]) => `${(init as RequestInit | undefined)?.method ?? 'GET'} ${url}`)
}

/** The chat as alice, on a fake socket that has said hello. */
async function openChat(sockets = fakeSockets()) {
  render(<ChatClient session={session} onSignOut={() => {}} openSocket={sockets.open} roomsPollMs={60_000} />)
  act(() => sockets.last.open('alice'))
  await screen.findByRole('button', { name: /general/ })
  return sockets
}

/** Open room "general" and wait for its messages. */
async function openGeneral() {
  fireEvent.click(screen.getByRole('button', { name: /general/ }))
  await screen.findByText('hi all')
}

const item = (offset: number) => document.querySelector<HTMLElement>(`li[data-offset="${offset}"]`)!

beforeEach(() => window.localStorage.clear())
afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
})

describe('chat page', () => {
  it('signs in through the development issuer, with a refusal under the field', async () => {
    const answers = [
      problem(400, {
        title: 'Bad Request',
        detail: 'body/user must match pattern',
        errors: [{ path: 'body/user', message: 'must match pattern "^[A-Za-z0-9_.@-]{1,64}$"' }],
      }),
      json({ token: 'tok-alice', user: 'alice', expiresAt: session.expiresAt }, 201),
    ]
    const fetch = server({ '/chat/tokens': () => answers.shift()! })
    const sockets = fakeSockets()
    vi.stubGlobal(
      'WebSocket',
      class {
        constructor(url: string) {
          // biome-ignore lint/correctness/noConstructorReturn: the page gets the fake the test controls
          return sockets.open(url)
        }
      },
    )
    render(<ChatPage system={system} />)
    fireEvent.change(screen.getByLabelText('User name'), { target: { value: 'not ok!' } })
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }))
    const input = screen.getByLabelText('User name')
    await waitFor(() => expect(input.getAttribute('aria-invalid')).toBe('true'))
    expect(screen.getByRole('alert').textContent).toContain('must match pattern')

    fireEvent.change(input, { target: { value: 'alice' } })
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }))
    await screen.findByText('alice', { selector: '[data-me]' })
    expect(JSON.parse(window.localStorage.getItem('blueprints.chat.session')!)).toMatchObject({
      user: 'alice',
      token: 'tok-alice',
    })
    expect(calls(fetch).filter((c) => c.startsWith('POST /chat/tokens'))).toHaveLength(2)
    // The console's live connection; a browser's WebSocket cannot set headers: the token goes in the query.
    expect(sockets.last.url).toMatch(/\/live\/ws\?access_token=tok-alice&v=2$/)
  })

  it('lists the rooms, subscribes each from its head, and opens one with its newest page', async () => {
    const fetch = server()
    const sockets = await openChat()
    const subscribes = sockets.last.ofType('subscribe').map((f) => [f.stream, f.after])
    expect(subscribes).toEqual([
      ['chat.room.1', 5],
      ['chat.room.2', 2],
    ])
    // The direct room is named after the other person.
    expect(screen.getByRole('button', { name: /^bob/ }).getAttribute('data-room')).toBe('2')
    await openGeneral()
    expect(calls(fetch)).toContain('GET /chat/rooms/1/messages?limit=50')
    expect(screen.getByText('The start of this room.')).toBeTruthy()
    // A live event after the head shows at the bottom; a repeat of it does not show twice.
    act(() => sockets.last.frame(messageFrame(1, 6, 'bob', 'live one')))
    act(() => sockets.last.frame(messageFrame(1, 6, 'bob', 'live one')))
    const bodies = [...document.querySelectorAll('li.message .message-body')].map((e) => e.textContent)
    expect(bodies).toEqual(['hi all', 'hello bob', '<b>x</b>', 'live one'])
    // Markup typed in a message is shown as typed.
    expect(item(5).querySelector('b')).toBeNull()
    // Open and visible: read up to the head.
    await waitFor(() =>
      expect(sockets.last.ofType('read').at(-1)).toMatchObject({ stream: 'chat.room.1', offset: 6 }),
    )
  })

  it('shows read receipts under the last message each member read, and moves them', async () => {
    server()
    const sockets = await openChat()
    await openGeneral()
    await waitFor(() => expect(item(4).querySelector('.receipts')?.textContent).toBe('Seen by bob'))
    expect(item(5).querySelector('.receipts')?.textContent).toBe('Seen by carol')
    act(() => sockets.last.frame({ signal: 'chat.room.1', type: 'receipt', room: 1, user: 'bob', offset: 5 }))
    expect(item(4).querySelector('.receipts')).toBeNull()
    expect(item(5).querySelector('.receipts')?.getAttribute('data-readers')).toBe('bob,carol')
    expect(item(5).querySelector('.receipts')?.textContent).toBe('Seen by bob and carol')
    // A receipt never goes back.
    act(() => sockets.last.frame({ signal: 'chat.room.1', type: 'receipt', room: 1, user: 'bob', offset: 3 }))
    expect(item(5).querySelector('.receipts')?.textContent).toBe('Seen by bob and carol')
  })

  it('shows presence of members and typing, which ends with the message', async () => {
    server()
    const sockets = await openChat()
    await openGeneral()
    await screen.findByText('bob', { selector: '.member-name' })
    await waitFor(() => expect(sockets.last.ofType('watch').at(-1)?.users).toEqual(['bob', 'carol']))
    act(() => sockets.last.frame({ type: 'presence', users: { bob: 'online', carol: 'away' } }))
    expect(document.querySelector('[data-member="bob"]')?.getAttribute('data-presence')).toBe('online')
    expect(
      within(document.querySelector<HTMLElement>('[data-member="carol"]')!).getByText('away'),
    ).toBeTruthy()
    expect(document.querySelector('[data-member="alice"]')?.getAttribute('data-presence')).toBe('online')
    act(() => sockets.last.frame({ type: 'presence', users: { bob: 'offline' } }))
    expect(document.querySelector('[data-member="bob"]')?.getAttribute('data-presence')).toBe('offline')

    act(() =>
      sockets.last.frame({ signal: 'chat.room.1', type: 'typing', room: 1, user: 'bob', ttlMs: 6_000 }),
    )
    expect(document.querySelector('.typing')?.textContent).toBe('bob is typing…')
    act(() =>
      sockets.last.frame({ signal: 'chat.room.1', type: 'typing', room: 1, user: 'carol', ttlMs: 6_000 }),
    )
    expect(document.querySelector('.typing')?.textContent).toBe('bob and carol are typing…')
    act(() => sockets.last.frame(messageFrame(1, 6, 'bob', 'done typing')))
    expect(document.querySelector('.typing')?.textContent).toBe('carol is typing…')
  })

  it('sends with a cid, shows "sending" until the event comes back, and retries a refused one with the same cid', async () => {
    server()
    const sockets = await openChat()
    await openGeneral()
    const box = screen.getByLabelText('Message general')
    fireEvent.change(box, { target: { value: 'first' } })
    expect(sockets.last.ofType('typing')).toEqual([{ v: 1, type: 'typing', stream: 'chat.room.1' }])
    fireEvent.keyDown(box, { key: 'Enter' })
    const send = sockets.last.ofType('send')[0]!
    expect(send).toMatchObject({ stream: 'chat.room.1', body: 'first' })
    expect(document.querySelector('li.pending')?.textContent).toContain('sending…')
    act(() =>
      sockets.last.frame({
        type: 'sent',
        id: send.id,
        stream: 'chat.room.1',
        offset: 6,
        cid: send.cid,
        duplicate: false,
      }),
    )
    act(() => sockets.last.frame(messageFrame(1, 6, 'alice', 'first', send.cid as string)))
    expect(document.querySelector('li.pending')).toBeNull()
    expect(document.querySelectorAll('li.message[data-offset="6"]')).toHaveLength(1)

    fireEvent.change(box, { target: { value: 'second' } })
    fireEvent.click(screen.getByRole('button', { name: 'Send' }))
    const second = sockets.last.ofType('send')[1]!
    act(() =>
      sockets.last.frame({
        type: 'error',
        id: second.id,
        code: 'CHAT_MESSAGE_TOO_LARGE',
        status: 413,
        message: 'too large',
      }),
    )
    const failed = document.querySelector<HTMLElement>('li.pending[data-state="failed"]')!
    expect(within(failed).getByText('too large')).toBeTruthy()
    fireEvent.click(within(failed).getByRole('button', { name: 'Retry' }))
    expect(sockets.last.ofType('send')[2]).toMatchObject({ cid: second.cid, body: 'second' })
  })

  it('resumes the open room from its last offset after a reconnect, showing each message once', async () => {
    server()
    const sockets = await openChat()
    await openGeneral()
    act(() => sockets.last.frame(messageFrame(1, 6, 'bob', 'before the cut')))
    act(() => sockets.last.drop(1006))
    expect(document.querySelector('[data-connection]')?.getAttribute('data-connection')).toBe('reconnecting')
    await waitFor(() => expect(sockets.all).toHaveLength(2), { timeout: 3_000 })
    act(() => sockets.last.open('alice'))
    expect(sockets.last.ofType('subscribe').find((f) => f.stream === 'chat.room.1')).toMatchObject({
      after: 6,
    })
    // The server's replay overlaps nothing here, but a repeated 6 would be dropped all the same.
    act(() => sockets.last.frame(messageFrame(1, 6, 'bob', 'before the cut')))
    act(() => sockets.last.frame(messageFrame(1, 7, 'bob', 'while away')))
    const bodies = [...document.querySelectorAll('li.message .message-body')].map((e) => e.textContent)
    expect(bodies.slice(-2)).toEqual(['before the cut', 'while away'])
    expect(document.querySelector('[data-connection]')?.getAttribute('data-connection')).toBe('live')
  })

  it('pages back with the oldest offset as the cursor', async () => {
    const fetch = server({
      '/chat/rooms/1/messages': (_init, url) =>
        new URL(url, 'http://x').searchParams.get('before') === '10'
          ? json({ messages: [stored(8, 'bob', 'older')], hasMore: false, head: 12 })
          : json({
              messages: [stored(10, 'bob', 'hi all'), stored(11, 'bob', 'newer')],
              hasMore: true,
              head: 11,
            }),
    })
    await openChat()
    await openGeneral()
    fireEvent.click(screen.getByRole('button', { name: 'Load older messages' }))
    await screen.findByText('older')
    expect(calls(fetch)).toContain('GET /chat/rooms/1/messages?limit=50&before=10')
    expect(screen.getByText('The start of this room.')).toBeTruthy()
    const offsets = [...document.querySelectorAll('li.message')].map((e) => e.getAttribute('data-offset'))
    expect(offsets).toEqual(['8', '10', '11'])
  })

  it('renders search highlights as text and <mark>, never as HTML', async () => {
    const fetch = server({
      '/chat/search': () =>
        json({
          hits: [
            {
              room: 1,
              offset: 5,
              sender: 'carol',
              at: AT,
              highlight: '&lt;img src=x onerror=alert(1)&gt; the <mark>zebra</mark> &amp; co',
              rank: 0.1,
            },
          ],
        }),
    })
    await openChat()
    fireEvent.change(screen.getByLabelText('Search for'), { target: { value: 'zebra' } })
    fireEvent.click(screen.getByRole('button', { name: 'Search' }))
    const hits = await screen.findByRole('list', { name: 'Search results' })
    expect(calls(fetch)).toContain('GET /chat/search?q=zebra&limit=20')
    expect(hits.querySelector('mark')?.textContent).toBe('zebra')
    expect(hits.querySelector('img')).toBeNull()
    expect(hits.querySelector('.hit-text')?.textContent).toBe('<img src=x onerror=alert(1)> the zebra & co')
    expect(hits.querySelector('.hit-meta')?.textContent).toMatch(/^carol in general ·/)
    // "Show in room" opens the room at the hit.
    fireEvent.click(within(hits).getByRole('button', { name: 'Show in room' }))
    await waitFor(() => expect(item(5)?.classList.contains('target')).toBe(true))
  })
})
