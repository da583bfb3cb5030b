/**
 * Device and browser of a visit, from its User-Agent, as Shlink's redirect
 * conditions read them (`device`, `browser`). Shlink asks a user-agent parser
 * for the platform and maps it: iPhone/iPad -> ios + mobile, Android ->
 * android + mobile, Linux -> linux + desktop, Windows -> windows + desktop,
 * Macintosh -> macos + desktop, Chrome OS -> chromeos + desktop. The same
 * mapping here, from the tokens those platforms put in their user agents;
 * the order of the tests matters (an iPhone says "like Mac OS X", an
 * Android phone says "Linux").
 */

export const DEVICE_TYPES = [
  'android',
  'ios',
  'mobile',
  'windows',
  'macos',
  'linux',
  'chromeos',
  'desktop',
] as const
export type DeviceType = (typeof DEVICE_TYPES)[number]

export const BROWSERS = ['chrome', 'firefox', 'edge', 'safari', 'opera', 'android_browser'] as const
export type Browser = (typeof BROWSERS)[number]

const NONE: readonly DeviceType[] = []

/** Every device type the user agent matches (none for bots, CLIs and unknown platforms). */
export function devicesOf(userAgent: string | undefined): readonly DeviceType[] {
  if (!userAgent) return NONE
  if (/\b(?:iPhone|iPad|iPod)\b/.test(userAgent)) return ['ios', 'mobile']
  if (/\bAndroid\b/.test(userAgent)) return ['android', 'mobile']
  if (/\bCrOS\b/.test(userAgent)) return ['chromeos', 'desktop']
  if (/\bWindows\b/.test(userAgent)) return ['windows', 'desktop']
  if (/\b(?:Macintosh|Mac OS X)\b/.test(userAgent)) return ['macos', 'desktop']
  if (/\b(?:Linux|X11)\b/.test(userAgent)) return ['linux', 'desktop']
  return NONE
}

/** The browser family of a user agent, or null; the vendors that build on Chrome are tested first. */
export function browserOf(userAgent: string | undefined): Browser | null {
  if (!userAgent) return null
  if (/\bEdg(?:e|A|iOS)?\//.test(userAgent)) return 'edge'
  if (/\b(?:OPR|OPT|Opera)\//.test(userAgent) || /^Opera\b/.test(userAgent)) return 'opera'
  if (/\b(?:Firefox|FxiOS)\//.test(userAgent)) return 'firefox'
  if (/\b(?:Chrome|CriOS|Chromium)\//.test(userAgent)) return 'chrome'
  if (/\bAndroid\b/.test(userAgent) && /\bVersion\/[\d.]+/.test(userAgent)) return 'android_browser'
  if (/\bSafari\//.test(userAgent) && /\bVersion\/[\d.]+/.test(userAgent)) return 'safari'
  return null
}
