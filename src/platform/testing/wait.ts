/** Bounded waiting for tests: poll a condition, or let time pass to show nothing more arrives. */

/**
 * Poll `check` every 20 ms until it returns true; fail naming `what` after `timeoutMs`.
 * The default is most of a test's 30 s: on a loaded 2-core machine a wait is slow, not failed.
 */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
}

/** Let a bounded time pass, so that a later assertion can show nothing more arrived. */
export function settle(ms = 300): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}
