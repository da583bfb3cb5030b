/** The notifications system's errors: stable codes (listed in README.md), rendered as problem+json. */
import { AppError, invalidParams } from '../../platform/errors.js'

export const NotificationErrors = {
  unauthorized: () =>
    new AppError('NOTIFICATIONS_UNAUTHORIZED', 401, 'this route needs Authorization: Bearer <token>', {
      headers: { 'www-authenticate': 'Bearer realm="notifications"' },
    }),
  subscriberNotFound: (id: string) =>
    new AppError('NOTIFICATIONS_SUBSCRIBER_NOT_FOUND', 404, `subscriber ${id} does not exist`),
  subscribersNotFound: (ids: string[]) =>
    new AppError(
      'NOTIFICATIONS_SUBSCRIBER_NOT_FOUND',
      422,
      `unknown subscribers: ${ids.slice(0, 10).join(', ')}${ids.length > 10 ? ` and ${ids.length - 10} more` : ''}`,
      { extensions: { unknown: ids.slice(0, 100) } },
    ),
  workflowNotFound: (id: string) =>
    new AppError('NOTIFICATIONS_WORKFLOW_NOT_FOUND', 404, `workflow ${id} does not exist`),
  unknownWorkflow: (id: string) =>
    new AppError('NOTIFICATIONS_WORKFLOW_NOT_FOUND', 422, `workflow ${id} does not exist`),
  topicNotFound: (key: string) =>
    new AppError('NOTIFICATIONS_TOPIC_NOT_FOUND', 404, `topic ${key} does not exist`),
  transactionNotFound: (id: string) =>
    new AppError('NOTIFICATIONS_TRANSACTION_NOT_FOUND', 404, `trigger ${id} does not exist`),
  messageNotFound: (id: string) =>
    new AppError('NOTIFICATIONS_MESSAGE_NOT_FOUND', 404, `inbox message ${id} does not exist`),
  invalidWorkflow: (name: string, reason: string) =>
    invalidParams('NOTIFICATIONS_INVALID_WORKFLOW', 422, [{ name, reason }]),
  template: (name: string, reason: string) =>
    invalidParams('NOTIFICATIONS_TEMPLATE_ERROR', 422, [{ name, reason }]),
  invalid: (name: string, reason: string) =>
    invalidParams('NOTIFICATIONS_INVALID_INPUT', 422, [{ name, reason }]),
  tooManyRecipients: (n: number, max: number) =>
    new AppError(
      'NOTIFICATIONS_TOO_MANY_RECIPIENTS',
      422,
      `the trigger reaches ${n} subscribers; at most ${max} (NOTIFICATIONS_MAX_RECIPIENTS)`,
    ),
  idempotencyMismatch: (key: string) =>
    new AppError(
      'NOTIFICATIONS_IDEMPOTENCY_KEY_REUSED',
      422,
      `Idempotency-Key ${key} was used with a different request; a key names one trigger`,
    ),
  payloadTooLarge: (bytes: number, max: number) =>
    new AppError('NOTIFICATIONS_PAYLOAD_TOO_LARGE', 413, `the payload is ${bytes} bytes; at most ${max}`),
}
