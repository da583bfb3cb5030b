/** What Kong's auth plugins tell the upstream about the consumer, and the `anonymous` fallback. */
import type { Consumer } from '../config/types.js'
import type { Exit, RequestState } from './types.js'

export function setConsumerHeaders(
  st: RequestState,
  consumer: Consumer,
  credentialId: string | undefined,
): void {
  const h = st.upstreamHeaders
  h['x-consumer-id'] = consumer.id
  if (consumer.custom_id) h['x-consumer-custom-id'] = consumer.custom_id
  else delete h['x-consumer-custom-id']
  if (consumer.username) h['x-consumer-username'] = consumer.username
  else delete h['x-consumer-username']
  if (credentialId) {
    h['x-credential-identifier'] = credentialId
    delete h['x-anonymous-consumer']
  } else {
    delete h['x-credential-identifier']
    h['x-anonymous-consumer'] = 'true'
  }
}

/** With `anonymous` configured, a failed authentication proceeds as that consumer; else `exit`. */
export function anonymousOr(st: RequestState, anonymous: string | null, exit: Exit): Exit | undefined {
  if (!anonymous) return exit
  // Another auth plugin already identified the client: this one's failure does not matter.
  if (st.credential) return undefined
  const consumer = st.lookup.consumer(anonymous)
  if (!consumer) return { status: 500, message: 'An unexpected error occurred' }
  st.consumer = consumer
  setConsumerHeaders(st, consumer, undefined)
  return undefined
}
