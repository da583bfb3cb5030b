/** `/notifications/v1/subscribers` and `/topics`: people, their addresses, preferences, push subscriptions, groups. */
import { Type } from '@sinclair/typebox'
import type { Db } from '../../platform/db/port.js'
import type { TypedApp } from '../../platform/http/types.js'
import { NotificationErrors } from './errors.js'
import { isTimeZone } from './preferences.js'
import { Id, IdParams, PreferencesBody, PushBody, SubscriberBody, TAGS } from './schemas.js'
import { SubscriberStore, type TopicStore, toSubscriber } from './subscribers.js'
import type { SubscriberTokens } from './tokens.js'

export interface SubscriberRouteDeps {
  db: Db
  subscribers: SubscriberStore
  topics: TopicStore
  tokens: SubscriberTokens
}

function checkWebhookUrl(v: string | null | undefined) {
  if (v === null || v === undefined) return
  let u: URL
  try {
    u = new URL(v)
  } catch {
    throw NotificationErrors.invalid('webhookUrl', 'is not a URL')
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    throw NotificationErrors.invalid('webhookUrl', 'must be http or https')
  if (u.username || u.password) throw NotificationErrors.invalid('webhookUrl', 'must not carry credentials')
}

export function subscriberRoutes(app: TypedApp, d: SubscriberRouteDeps) {
  app.put(
    '/v1/subscribers/:id',
    {
      schema: {
        tags: TAGS,
        summary: 'Create or update a subscriber',
        params: IdParams,
        body: SubscriberBody,
      },
    },
    async (req, reply) => {
      const b = req.body
      if (b.timezone !== undefined && !isTimeZone(b.timezone))
        throw NotificationErrors.invalid('timezone', 'is not an IANA time zone this server knows')
      checkWebhookUrl(b.webhookUrl)
      const { row, created } = await d.subscribers.put(req.params.id, b)
      // The webhook secret is shown to whoever manages the subscriber: receivers verify with it.
      return reply.code(created ? 201 : 200).send({ ...toSubscriber(row), webhookSecret: row.webhook_secret })
    },
  )
  app.get(
    '/v1/subscribers/:id',
    { schema: { tags: TAGS, summary: 'Get a subscriber', params: IdParams } },
    async (req) => {
      const row = await d.subscribers.require(req.params.id)
      return { ...toSubscriber(row), webhookSecret: row.webhook_secret }
    },
  )
  app.delete(
    '/v1/subscribers/:id',
    { schema: { tags: TAGS, summary: 'Delete a subscriber', params: IdParams } },
    async (req, reply) => {
      if (!(await d.subscribers.delete(req.params.id)))
        throw NotificationErrors.subscriberNotFound(req.params.id)
      return reply.code(204).send()
    },
  )
  app.get(
    '/v1/subscribers/:id/preferences',
    { schema: { tags: TAGS, summary: "A subscriber's preferences", params: IdParams } },
    async (req) => {
      await d.subscribers.require(req.params.id)
      return { preferences: await d.subscribers.preferences(d.db, req.params.id) }
    },
  )
  app.put(
    '/v1/subscribers/:id/preferences',
    {
      schema: {
        tags: TAGS,
        summary:
          'Set preferences (workflowId and channel default to *: every one); enabled null clears a choice',
        params: IdParams,
        body: PreferencesBody,
      },
    },
    async (req) => {
      const id = req.params.id
      await d.subscribers.require(id)
      await d.db.tx(async (tx) => {
        await new SubscriberStore(tx).setPreferences(
          id,
          req.body.preferences.map((p) => ({
            workflowId: p.workflowId ?? '*',
            channel: p.channel ?? '*',
            enabled: p.enabled,
          })),
        )
      })
      return { preferences: await d.subscribers.preferences(d.db, id) }
    },
  )
  app.post(
    '/v1/subscribers/:id/push-subscriptions',
    {
      schema: {
        tags: TAGS,
        summary: "Add a browser's PushSubscription (its toJSON())",
        params: IdParams,
        body: PushBody,
      },
    },
    async (req, reply) => {
      await d.subscribers.require(req.params.id)
      await d.subscribers.addPush(req.params.id, req.body)
      return reply.code(201).send({ endpoint: req.body.endpoint })
    },
  )
  app.post(
    '/v1/subscribers/:id/token',
    {
      schema: {
        tags: TAGS,
        summary: 'A token for this subscriber to read its own inbox (REST and live)',
        params: IdParams,
        body: Type.Optional(
          Type.Object(
            { ttlSeconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 30 * 86_400 })) },
            { additionalProperties: false },
          ),
        ),
      },
    },
    async (req, reply) => {
      await d.subscribers.require(req.params.id)
      return reply.code(201).send(d.tokens.issue(req.params.id, (req.body?.ttlSeconds ?? 3_600) * 1000))
    },
  )

  const TopicParams = Type.Object({ key: Id })
  const Members = Type.Object(
    { subscribers: Type.Array(Id, { minItems: 1, maxItems: 1_000 }) },
    { additionalProperties: false },
  )
  app.put(
    '/v1/topics/:key',
    {
      schema: {
        tags: TAGS,
        summary: 'Create a topic',
        params: TopicParams,
        body: Type.Optional(
          Type.Object(
            { name: Type.Optional(Type.String({ maxLength: 200 })) },
            { additionalProperties: false },
          ),
        ),
      },
    },
    async (req, reply) => {
      const created = await d.topics.put(req.params.key, req.body?.name ?? null)
      return reply.code(created ? 201 : 200).send({ key: req.params.key })
    },
  )
  app.post(
    '/v1/topics/:key/subscribers',
    { schema: { tags: TAGS, summary: 'Add subscribers to a topic', params: TopicParams, body: Members } },
    async (req) => {
      const missing = await d.subscribers.missing(d.db, req.body.subscribers)
      if (missing.length > 0) throw NotificationErrors.subscribersNotFound(missing)
      return { added: await d.topics.add(req.params.key, req.body.subscribers) }
    },
  )
  app.post(
    '/v1/topics/:key/subscribers/removal',
    {
      schema: { tags: TAGS, summary: 'Remove subscribers from a topic', params: TopicParams, body: Members },
    },
    async (req) => ({ removed: await d.topics.remove(req.params.key, req.body.subscribers) }),
  )
  app.get(
    '/v1/topics/:key/subscribers',
    { schema: { tags: TAGS, summary: "A topic's subscribers (first 1000)", params: TopicParams } },
    async (req) => {
      if (!(await d.topics.exists(d.db, req.params.key)))
        throw NotificationErrors.topicNotFound(req.params.key)
      return { subscribers: await d.topics.members(d.db, req.params.key, 1_000) }
    },
  )
  app.delete(
    '/v1/topics/:key',
    { schema: { tags: TAGS, summary: 'Delete a topic', params: TopicParams } },
    async (req, reply) => {
      if (!(await d.topics.delete(req.params.key))) throw NotificationErrors.topicNotFound(req.params.key)
      return reply.code(204).send()
    },
  )
}
