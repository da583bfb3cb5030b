/**
 * The chat page in the browser, as two people: alice on the test's page and
 * bob in a second browser context (his own storage, so his own session).
 * Alice creates a private room with bob; bob finds it in his list; they
 * chat; each sees the other's presence (online, away, offline), typing
 * indicator and read receipt change. Bob's socket is cut while alice
 * writes, and his page must resume from the last offset it had (the
 * subscribe frame is checked) and show each missed message once, in order.
 * Bob reloads after fifty-two more messages and pages back to the first one
 * with "Load older messages": the whole history, in order, once. Alice
 * searches and sees the match highlighted, and markup typed in a message
 * stays text everywhere. Bob replies in the thread of alice's message, alice
 * edits it, bob reacts and takes the reaction back, alice deletes it: each
 * seen on the other page. All states are awaited by bounded polling.
 */
import type { Browser, Page, WebSocketRoute } from 'playwright-core'
import type { SystemE2eContext } from '../../../e2e/types.js'

/** Fail with `message` unless `ok`. */
function check(ok: boolean, message: string): void {
  if (!ok) throw new Error(message)
}

/** Ask `probe` every 200 ms until it returns true, for at most `ms`. */
async function until(page: Page, what: string, probe: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await probe()) return
    await page.waitForTimeout(200)
  }
  throw new Error(`timed out waiting for ${what}`)
}

async function signIn(page: Page, user: string): Promise<void> {
  await page.getByLabel('User name', { exact: true }).fill(user)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.locator(`[data-me="${user}"]`).waitFor()
  await page.locator('[data-connection="live"]').waitFor({ timeout: 15_000 })
}

/** The bodies of the stored messages on screen (not those still sending), in order. */
function bodies(page: Page): Promise<string[]> {
  return page.locator('li.message:not(.pending) .message-body').allTextContents()
}

async function send(page: Page, room: string, text: string): Promise<void> {
  await page.getByLabel(`Message ${room}`).fill(text)
  await page.getByLabel(`Message ${room}`).press('Enter')
  await page.locator('li.message:not(.pending) .message-body', { hasText: text }).last().waitFor()
}

/** Where `user` reads `text` (the message's li), and whose receipts sit under it. */
async function readersOf(page: Page, text: string): Promise<string | null> {
  const receipts = page.locator('li.message', { hasText: text }).last().locator('.receipts')
  return (await receipts.count()) > 0 ? receipts.getAttribute('data-readers') : null
}

/**
 * Post over REST as the user whose session `page` holds (what another device of theirs would do),
 * `parallel` at a time (then their order is the server's).
 */
async function postAs(page: Page, baseUrl: string, room: number, bodies: string[], parallel = 1) {
  const session = JSON.parse(
    (await page.evaluate(() => localStorage.getItem('blueprints.chat.session'))) ?? '{}',
  ) as { token?: string }
  check(Boolean(session.token), 'no session in localStorage')
  const queue = [...bodies]
  const worker = async () => {
    for (let body = queue.shift(); body !== undefined; body = queue.shift()) await postOne(body)
  }
  const postOne = async (body: string) => {
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(`${baseUrl}/chat/rooms/${room}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${session.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ body, cid: `e2e-${body}` }),
      })
      // The REST write limit (20/s per user) is part of the system; wait it out, as told.
      if (res.status === 429 && attempt < 20) {
        const { retryAfterMs } = (await res.json()) as { retryAfterMs?: number }
        await new Promise((r) => setTimeout(r, retryAfterMs ?? 1_000))
        continue
      }
      check(res.status === 201, `posting "${body}" answered ${res.status}`)
      return
    }
  }
  await Promise.all(Array.from({ length: parallel }, worker))
}

export async function exercise(alice: Page, { baseUrl }: SystemE2eContext): Promise<void> {
  const browser = alice.context().browser() as Browser
  check(Boolean(browser), 'no browser behind the page')
  const bobContext = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  const bobErrors: string[] = []
  // Every frame bob's page sends, and a way to cut his socket and hold what he sends next.
  const sent: string[] = []
  const sockets: { page: WebSocketRoute; server: WebSocketRoute }[] = []
  let holding: string[] | undefined
  await bobContext.routeWebSocket(/\/live\/ws/, (ws) => {
    const server = ws.connectToServer()
    ws.onMessage((m) => {
      const text = String(m)
      sent.push(text)
      if (holding) holding.push(text)
      else server.send(text)
    })
    sockets.push({ page: ws, server })
  })
  try {
    const bob = await bobContext.newPage()
    bob.on('pageerror', (err) => bobErrors.push(`uncaught: ${err.message}`))
    bob.on('console', (msg) => {
      if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource'))
        bobErrors.push(msg.text())
    })
    await signIn(alice, 'alice')
    await bob.goto(`${baseUrl}/console/chat`)
    await signIn(bob, 'bob')

    // Alice makes a private room with bob in it.
    const room = `e2e-${Date.now().toString(36)}`
    await alice.getByLabel('Room name').fill(room)
    await alice.getByLabel('Who can read it').selectOption('private')
    await alice.getByLabel('Members (optional)').fill('bob')
    await alice.getByRole('button', { name: 'Create room' }).click()
    await alice.locator(`[data-open-room="${room}"]`).waitFor()
    const roomId = Number(await alice.locator(`button[data-room-name="${room}"]`).getAttribute('data-room'))
    check(roomId > 0, 'the new room has no id in the list')

    // Bob's list shows it at its next poll, marked new; he has not opened it.
    await send(alice, room, 'Hello bob, this is alice')
    const bobsButton = bob.locator(`button[data-room-name="${room}"]`)
    await bobsButton.waitFor({ timeout: 15_000 })
    await bobsButton.locator('.unread').waitFor({ timeout: 15_000 })
    check((await readersOf(alice, 'Hello bob')) === null, 'a receipt shows before bob opened the room')

    // Presence: alice sees bob online in the room's members.
    await alice.locator('[data-member="bob"][data-presence="online"]').waitFor({ timeout: 15_000 })

    // Bob opens the room: he sees the message and his read receipt appears under it on alice's screen.
    await bobsButton.click()
    await bob.locator('li.message', { hasText: 'Hello bob, this is alice' }).waitFor()
    await until(alice, 'bob read receipt', async () => (await readersOf(alice, 'Hello bob')) === 'bob')
    check(!(await bobsButton.locator('.unread').count()), 'the open room is still marked new')

    // Typing: alice types, bob sees it; her message arrives and the indicator goes. Typing is relayed
    // at most every 2 s per connection, and alice typed her first message less than that ago, maybe.
    await alice.waitForTimeout(2_100)
    await alice.getByLabel(`Message ${room}`).fill('Are you there?')
    await bob.locator('.typing', { hasText: 'alice is typing…' }).waitFor()
    await alice.getByLabel(`Message ${room}`).press('Enter')
    await bob.locator('li.message', { hasText: 'Are you there?' }).waitFor()
    await until(
      bob,
      'the typing indicator to go',
      async () => (await bob.locator('.typing').textContent()) === '',
    )

    // Bob answers; the receipts move: alice's under bob's answer, bob's no longer under her first message.
    await send(bob, room, 'Yes, reading you live')
    await alice.locator('li.message', { hasText: 'Yes, reading you live' }).waitFor()
    await until(bob, 'alice read receipt', async () => (await readersOf(bob, 'Yes, reading you')) === 'alice')
    await until(alice, "bob's receipt to move on", async () => (await readersOf(alice, 'Hello bob')) === null)

    // Away and back, as alice sees it.
    await bob.getByLabel('Status').selectOption('away')
    await alice.locator('[data-member="bob"][data-presence="away"]').waitFor()
    await bob.getByLabel('Status').selectOption('online')
    await alice.locator('[data-member="bob"][data-presence="online"]').waitFor()

    // Markup in a message is text, in the room and in search (where the match is marked).
    const markup = 'zebra <b>bold</b> <img src=x onerror="window.hacked=1"> & co'
    await send(alice, room, markup)
    await bob.locator('li.message', { hasText: 'zebra <b>bold</b>' }).waitFor()
    check((await bob.locator('.messages b, .messages img').count()) === 0, 'message markup became HTML')

    // Bob's socket is cut; alice writes three messages before his page may subscribe again.
    const lastOffset = Number(
      await bob.locator('li.message:not(.pending)').last().getAttribute('data-offset'),
    )
    const socketsBefore = sockets.length
    holding = []
    await sockets.at(-1)!.page.close({ code: 4000, reason: 'cut by the test' })
    await bob.locator('[data-connection="reconnecting"]').waitFor()
    const missed = ['missed one', 'missed two', 'missed three']
    await postAs(alice, baseUrl, roomId, missed)
    await until(bob, 'a new socket', async () => sockets.length > socketsBefore)
    await until(bob, 'the resubscription', async () =>
      (holding ?? []).some((f) => f.includes('"subscribe"') && f.includes(`"stream":"chat.room.${roomId}"`)),
    )
    const resubscribe = JSON.parse(
      holding.find((f) => f.includes('"subscribe"') && f.includes(`"stream":"chat.room.${roomId}"`))!,
    ) as { after?: number }
    check(resubscribe.after === lastOffset, `resubscribed after ${resubscribe.after}, not ${lastOffset}`)
    const held = holding
    holding = undefined
    for (const f of held) sockets.at(-1)!.server.send(f)
    await bob.locator('[data-connection="live"]').waitFor()
    await bob.locator('li.message', { hasText: 'missed three' }).waitFor()
    const afterResume = await bodies(bob)
    check(
      JSON.stringify(afterResume.slice(-3)) === JSON.stringify(missed),
      `after the resume bob shows ${JSON.stringify(afterResume.slice(-4))}`,
    )
    check(new Set(afterResume).size === afterResume.length, 'a message shows twice after the resume')

    // Enough more for two pages, then bob reloads: the newest page, then the older one back to the first.
    const more = Array.from({ length: 52 }, (_, i) => `history ${String(i + 1).padStart(2, '0')}`)
    await postAs(alice, baseUrl, roomId, more, 4)
    const total = 4 + missed.length + more.length
    await until(bob, `${total} messages live`, async () => (await bodies(bob)).length === total)
    await until(alice, `${total} messages live`, async () => (await bodies(alice)).length === total)
    const expected = await bodies(alice)
    check(JSON.stringify(await bodies(bob)) === JSON.stringify(expected), 'bob and alice differ live')
    await bob.reload()
    await bob.locator(`[data-open-room="${room}"]`).waitFor()
    await bob.locator('li.message', { hasText: expected.at(-1)! }).waitFor()
    check((await bodies(bob)).length === 50, 'a reload does not show the newest page of 50')
    check((await bob.getByText('The start of this room.').count()) === 0, 'no more history claimed')
    // 59 messages: one older page of 9 reaches the start.
    await bob.getByRole('button', { name: 'Load older messages' }).click()
    await bob.getByText('The start of this room.').waitFor()
    const history = await bodies(bob)
    check(
      JSON.stringify(history) === JSON.stringify(expected),
      `bob's history after the reload differs: ${history.length} messages, first ${history[0]}`,
    )

    // Search: the hit's match is marked, the markup around it is text.
    await alice.getByLabel('Search for').fill('zebra')
    await alice.getByRole('button', { name: 'Search', exact: true }).click()
    const hit = alice.locator(`.search-hits li[data-room="${roomId}"]`).first()
    await hit.waitFor()
    check((await hit.locator('mark').first().textContent()) === 'zebra', 'the match is not marked')
    check(((await hit.locator('.hit-text').textContent()) ?? '').includes('<b>bold</b>'), 'markup lost')
    check((await hit.locator('.hit-text b, .hit-text img').count()) === 0, 'search markup became HTML')
    check(!(await alice.evaluate(() => 'hacked' in window)), 'a message ran script')
    await hit.getByRole('button', { name: 'Show in room' }).click()
    await alice.locator('li.message.target', { hasText: 'zebra' }).waitFor()

    // Threads, edits, reactions and deletes, each seen on the other page (room events).
    await send(alice, room, 'thread root')
    const root = (m: Page) => m.locator('li.message:not(.pending)', { hasText: 'thread root' }).last()
    const rootOffset = await root(alice).getAttribute('data-offset')
    await root(bob).waitFor()
    await root(bob).getByRole('button', { name: 'Reply' }).click()
    await bob.locator(`.replying[data-reply-to="${rootOffset}"]`).waitFor()
    await send(bob, room, 'an answer in the thread')
    const reply = alice.locator('li.message', { hasText: 'an answer in the thread' })
    await reply
      .locator(`.reply-quote[data-parent="${rootOffset}"]`, { hasText: 'alice: thread root' })
      .waitFor()
    await alice.locator(`li.message[data-offset="${rootOffset}"] [data-replies="1"]`).waitFor()
    const rootOn = (m: Page) => m.locator(`li.message[data-offset="${rootOffset}"]`)
    await rootOn(alice).getByRole('button', { name: 'Edit' }).click()
    await alice.getByLabel(`Edit message ${rootOffset}`).fill('thread root, edited')
    await rootOn(alice).getByRole('button', { name: 'Save' }).click()
    await rootOn(bob).locator('.message-body', { hasText: 'thread root, edited' }).waitFor()
    await rootOn(bob).getByText('· edited').waitFor()
    check((await rootOn(bob).getByRole('button', { name: 'Edit' }).count()) === 0, 'bob may edit alice')
    await rootOn(bob).getByRole('button', { name: 'React with 👍' }).click()
    await rootOn(alice).locator('.reactions li[title="bob"]', { hasText: '👍 1' }).waitFor()
    await rootOn(bob).getByRole('button', { name: 'Take back 👍' }).click()
    await until(
      alice,
      'the reaction taken back',
      async () => (await rootOn(alice).locator('.reactions').count()) === 0,
    )
    await rootOn(alice).getByRole('button', { name: 'Delete' }).click()
    await rootOn(bob).getByText('message deleted').waitFor()
    await bob
      .locator('li.message', { hasText: 'an answer in the thread' })
      .locator('.reply-quote', { hasText: 'alice: (deleted)' })
      .waitFor()

    // Bob leaves: alice sees him offline.
    await bobContext.close()
    await alice.locator('[data-member="bob"][data-presence="offline"]').waitFor({ timeout: 15_000 })
    check(bobErrors.length === 0, `bob's page reported: ${bobErrors.join('; ')}`)
  } finally {
    await bobContext.close()
  }
}
