/** Chromium for the console's end-to-end tests: the platform's test launcher (Debian's chromium, never a download). */
export {
  browserRequired,
  findChromium,
  HOW_TO_INSTALL,
  launchChromium,
} from '../../src/platform/testing/chromium.js'
