/**
 * The rate limiter's page: live allowed/limited rates per rule, and a
 * playground that fires decisions at a descriptor and shows which were
 * admitted. It speaks the service's public endpoints, as Envoy's JSON
 * clients would.
 */
import type { SystemPageProps } from '../registry'
import { LiveRates } from './live-rates'
import { Playground } from './playground'
import './rate-limiter.css'

/** The page. */
export default function RateLimiterPage(_props: SystemPageProps) {
  return (
    <div className="stack rate-limiter-page">
      <Playground />
      <LiveRates />
    </div>
  )
}
