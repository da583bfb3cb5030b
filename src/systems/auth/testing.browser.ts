/**
 * Helpers of the Chromium tests: a page that records what the browser reports, and CDP's WebAuthn
 * virtual authenticator (a passkey store in the browser, with user verification that always
 * passes), whose credentials a test can read and copy into another authenticator.
 */
import type { BrowserContext, CDPSession, Page } from 'playwright-core'

/** A page that records uncaught errors and console errors (CSP refusals among them) into `problems`. */
export async function watchedPage(context: BrowserContext, problems: string[]): Promise<Page> {
  const page = await context.newPage()
  page.on('pageerror', (err) => problems.push(`uncaught: ${err.message}`))
  page.on('console', (msg) => {
    // A 4xx page the test asked for (a wrong password) is logged as a failed load: not a defect.
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) problems.push(msg.text())
  })
  return page
}

export interface VirtualCredential {
  credentialId: string
  isResidentCredential: boolean
  rpId?: string
  privateKey: string
  userHandle?: string
  signCount: number
}

/** A virtual authenticator attached to `page` (a platform authenticator with resident keys and UV). */
export async function virtualAuthenticator(page: Page) {
  const cdp: CDPSession = await page.context().newCDPSession(page)
  await cdp.send('WebAuthn.enable', { enableUI: false })
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  })
  return {
    /** The credentials it holds, with their private keys and signature counters. */
    async credentials(): Promise<VirtualCredential[]> {
      return (await cdp.send('WebAuthn.getCredentials', { authenticatorId }))
        .credentials as VirtualCredential[]
    },
    /** Put a copy of a credential in this authenticator. */
    async add(credential: VirtualCredential): Promise<void> {
      await cdp.send('WebAuthn.addCredential', { authenticatorId, credential })
    },
  }
}
