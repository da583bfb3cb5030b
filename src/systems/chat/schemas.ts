/** TypeBox schemas of the chat REST API (they are also its OpenAPI document). */
import { Type } from '@sinclair/typebox'

export const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })
export const Offset = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })
export const UserName = Type.String({ pattern: '^[A-Za-z0-9_.@-]{1,64}$' })

export const RoomParams = Type.Object({ room: Id })
export const MessageParams = Type.Object({ room: Id, offset: Id })
export const MemberParams = Type.Object({ room: Id, user: UserName })

export const Room = Type.Object({
  id: Type.Integer(),
  kind: Type.Union([Type.Literal('public'), Type.Literal('private'), Type.Literal('direct')]),
  name: Type.String(),
  topic: Type.String(),
  createdBy: Type.String(),
  head: Type.Integer({ description: 'the last offset of the room' }),
  createdAt: Type.String(),
})

export const MyRoom = Type.Intersect([
  Room,
  Type.Object({
    role: Type.String(),
    lastRead: Type.Integer({ description: 'your read receipt: the last offset you read' }),
  }),
])

export const Member = Type.Object({
  user: Type.String(),
  role: Type.String(),
  lastRead: Type.Integer(),
  joinedAt: Type.String(),
})

export const NewRoom = Type.Object(
  {
    kind: Type.Union([Type.Literal('public'), Type.Literal('private')], { default: 'public' }),
    name: Type.String({ minLength: 1, maxLength: 100 }),
    topic: Type.Optional(Type.String({ maxLength: 500 })),
    members: Type.Optional(Type.Array(UserName, { maxItems: 100 })),
  },
  { additionalProperties: false },
)

export const RoomPatch = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    topic: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
)

export const Message = Type.Object({
  room: Type.Integer(),
  offset: Type.Integer(),
  sender: Type.String(),
  cid: Type.Union([Type.String(), Type.Null()]),
  parent: Type.Union([Type.Integer(), Type.Null()]),
  body: Type.String(),
  at: Type.String(),
  editedAt: Type.Union([Type.String(), Type.Null()]),
  deleted: Type.Boolean(),
  reactions: Type.Record(Type.String(), Type.Array(Type.String())),
  replies: Type.Integer(),
})

export const Event = Type.Object(
  {
    v: Type.Literal(1),
    type: Type.String(),
    room: Type.Integer(),
    offset: Type.Integer(),
  },
  { additionalProperties: true },
)

export const NewMessage = Type.Object(
  {
    body: Type.String({ minLength: 1 }),
    cid: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 128,
        description: 'your id for the message: a resend is idempotent',
      }),
    ),
    parent: Type.Optional(Id),
  },
  { additionalProperties: false },
)

export const Sent = Type.Object({
  room: Type.Integer(),
  offset: Type.Integer(),
  cid: Type.Union([Type.String(), Type.Null()]),
  duplicate: Type.Boolean({ description: 'true when this cid was already sent: nothing new was stored' }),
  at: Type.String(),
})

export const HistoryQuery = Type.Object({
  before: Type.Optional(Offset),
  after: Type.Optional(Offset),
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  thread: Type.Optional(Id),
})

export const SearchQuery = Type.Object({
  q: Type.String({ minLength: 1, maxLength: 200 }),
  room: Type.Optional(Id),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
})

export const SearchHit = Type.Object({
  room: Type.Integer(),
  offset: Type.Integer(),
  sender: Type.String(),
  at: Type.String(),
  highlight: Type.String({ description: 'HTML-escaped fragments with matches in <mark>' }),
  rank: Type.Number(),
})
