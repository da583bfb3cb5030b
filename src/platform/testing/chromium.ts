/**
 * Chromium for browser tests (the console's end-to-end tests, the auth system's sign-in pages):
 * Debian's `chromium` package, driven by playwright-core. Never a downloaded browser build.
 * Without it, the browser tests are skipped on a person's machine (one line says so) and fail
 * under CI=true or TEST_SERVICES=1, where a skip would hide that nothing was tested.
 */
import { existsSync } from 'node:fs'
import { type Browser, chromium } from 'playwright-core'
import { isCi, testServicesEnabled } from '../config.js'

/** Where Debian and Ubuntu install Chromium. */
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser']

/** The Chromium executable, if one is installed. */
export function findChromium(): string | undefined {
  return CANDIDATES.find((p) => existsSync(p))
}

/** Whether a missing Chromium fails the run instead of skipping the browser tests. */
export function browserRequired(): boolean {
  return isCi() || testServicesEnabled()
}

export const HOW_TO_INSTALL = 'install it with: sudo apt-get install chromium'

/** Launch headless Chromium at `executablePath`. */
export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--no-first-run',
    ],
  })
}
