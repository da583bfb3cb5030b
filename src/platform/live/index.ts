/**
 * Live streams to clients for every system: WebSocket, SSE and long polling
 * speaking one envelope, per-stream offsets, resume after a cut with nothing
 * lost or doubled, fan-out across nodes on the Bus. README.md explains it.
 */
export { type Addressing, fullAddressing, kindAddressing } from './addressing.js'
export { TOKEN_CLOSE_CODE } from './connection-auth.js'
export type { EndpointOptions, LiveEndpoint } from './endpoint.js'
export { LiveError, type LiveErrors, liveErrors } from './errors.js'
export type { StreamKind } from './kind.js'
export type { Live, SystemLive, TokenCheck } from './live.js'
export type { Presence } from './presence.js'
export {
  LATEST_PROTOCOL,
  PING_GRACE_MS,
  type PresenceStatus,
  type ProtocolVersion,
  SPOKEN_VERSIONS,
} from './protocol.js'
export type {
  BusSignal,
  FieldReader,
  KindFrame,
  LegacySignals,
  LiveConnection,
  LiveEvent,
  Principal,
  StreamHistory,
  StreamKindSpec,
  StreamRef,
} from './stream-kind.js'
export { tokenOf } from './ws.routes.js'
