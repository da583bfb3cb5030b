/** Request schemas (TypeBox): validation at the edge, types and OpenAPI at once. */
import { Type } from '@sinclair/typebox'

export const ID_PATTERN = '^[A-Za-z0-9_-]{1,64}$'
export const Id = Type.String({ pattern: ID_PATTERN, description: '1-64 of A-Z a-z 0-9 _ -' })
export const IdParams = Type.Object({ id: Id })
export const TAGS = ['notifications']

const Hhmm = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'HH:MM, local time' })
const Template = Type.String({ minLength: 1, maxLength: 20_000 })
const ChannelName = Type.Union([
  Type.Literal('email'),
  Type.Literal('in_app'),
  Type.Literal('webhook'),
  Type.Literal('push'),
])

export const SubscriberBody = Type.Object(
  {
    email: Type.Optional(Type.Union([Type.String({ format: 'email', maxLength: 320 }), Type.Null()])),
    phone: Type.Optional(Type.Union([Type.String({ pattern: '^\\+?[0-9 ()-]{3,32}$' }), Type.Null()])),
    webhookUrl: Type.Optional(Type.Union([Type.String({ maxLength: 2048 }), Type.Null()])),
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone' })),
    quietHours: Type.Optional(
      Type.Union([Type.Object({ start: Hhmm, end: Hhmm }, { additionalProperties: false }), Type.Null()]),
    ),
    data: Type.Optional(Type.Record(Type.String({ maxLength: 100 }), Type.Unknown())),
  },
  { additionalProperties: false },
)

export const StepSchema = Type.Union([
  Type.Object(
    {
      channel: ChannelName,
      subject: Type.Optional(Type.String({ minLength: 1, maxLength: 1_000 })),
      body: Template,
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      type: Type.Union([Type.Literal('delay'), Type.Literal('digest')]),
      ms: Type.Integer({ minimum: 1, maximum: 30 * 86_400_000 }),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      type: Type.Literal('branch'),
      if: Type.Union([
        Type.Object({ read: Type.Integer({ minimum: 0, maximum: 49 }) }, { additionalProperties: false }),
        Type.Object({ unread: Type.Integer({ minimum: 0, maximum: 49 }) }, { additionalProperties: false }),
        Type.Object({ enabled: ChannelName }, { additionalProperties: false }),
      ]),
    },
    { additionalProperties: false },
  ),
])

export const WorkflowBody = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 200 })),
    steps: Type.Array(StepSchema, { minItems: 1, maxItems: 50 }),
    critical: Type.Optional(
      Type.Boolean({ description: 'preferences cannot mute it; quiet hours and rate limits do not apply' }),
    ),
    preferences: Type.Optional(
      Type.Object(
        {
          email: Type.Optional(Type.Boolean()),
          in_app: Type.Optional(Type.Boolean()),
          webhook: Type.Optional(Type.Boolean()),
          push: Type.Optional(Type.Boolean()),
        },
        {
          additionalProperties: false,
          description: 'the default of each channel for subscribers who chose nothing',
        },
      ),
    ),
  },
  { additionalProperties: false },
)

export const Recipients = Type.Union([
  Id,
  Type.Array(Id, { minItems: 1, maxItems: 10_000 }),
  Type.Object({ topic: Id }, { additionalProperties: false }),
])

export const TriggerBody = Type.Object(
  {
    name: Id,
    to: Recipients,
    payload: Type.Optional(Type.Record(Type.String({ maxLength: 200 }), Type.Unknown())),
  },
  { additionalProperties: false },
)

export const PreferencesBody = Type.Object(
  {
    preferences: Type.Array(
      Type.Object(
        {
          workflowId: Type.Optional(Type.Union([Id, Type.Literal('*')])),
          channel: Type.Optional(Type.Union([ChannelName, Type.Literal('*')])),
          enabled: Type.Union([Type.Boolean(), Type.Null()]),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 200 },
    ),
  },
  { additionalProperties: false },
)

export const PushBody = Type.Object(
  {
    endpoint: Type.String({ minLength: 8, maxLength: 2048 }),
    keys: Type.Object(
      {
        p256dh: Type.String({ pattern: '^[A-Za-z0-9_=+/-]{80,100}$' }),
        auth: Type.String({ pattern: '^[A-Za-z0-9_=+/-]{16,32}$' }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
)
