/**
 * Kong's error responses, so clients and monitoring written for Kong read ours unchanged:
 * `{"message": "...", "request_id": "..."}` as JSON, with Kong's messages for the proxy's own
 * failures.
 */
import type { ServerResponse } from 'node:http'

export const MESSAGES = {
  noRoute: 'no Route matched with those values',
  badGateway: 'An invalid response was received from the upstream server',
  timeout: 'The upstream server is timing out',
  noPeer: 'failure to get a peer from the ring-balancer',
  nameResolution: 'name resolution failed',
  noService: 'no Service found with those values',
  unexpected: 'An unexpected error occurred',
  badRequest: 'Bad request',
  useHttps: 'Please use HTTPS protocol',
} as const

export const SERVER_HEADER = 'blueprints-gateway'

/** Send a Kong-shaped error (or `body` instead) unless the response has begun. */
export function sendError(
  res: ServerResponse,
  status: number,
  message: string | undefined,
  requestId: string,
  headers: Record<string, string> = {},
  body?: unknown,
): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  const payload =
    body !== undefined
      ? JSON.stringify(body)
      : message === undefined
        ? ''
        : JSON.stringify({ message, request_id: requestId })
  res.writeHead(status, {
    ...headers,
    ...(payload && { 'content-type': 'application/json; charset=utf-8' }),
    'content-length': Buffer.byteLength(payload),
    server: SERVER_HEADER,
    'x-kong-request-id': requestId,
  })
  res.end(payload)
}
