/**
 * `GET /board/yjs/{docName}?token=...`: the y-websocket endpoint. y-websocket's provider puts its
 * `params` in the query, so the token comes as `token` there. A card's description is the
 * document `card-{cardId}`; members of the card's board may open it, anyone else is closed with
 * 4404 (the same for a missing card), a bad token with 4401.
 */
import fastifyWebsocket from '@fastify/websocket'
import { Type } from '@sinclair/typebox'
import type { TypedApp } from '../../../platform/http/types.js'
import type { BoardTokens } from '../tokens.js'
import type { YjsRooms } from './rooms.js'

export interface YjsRouteDeps {
  rooms: YjsRooms
  tokens: BoardTokens
  /** Resolves when `user` may edit document `doc`; throws (an AppError) otherwise. */
  authorize(user: string, doc: string): Promise<void>
  maxMessageBytes: number
}

const DOC = /^card-[A-Za-z0-9_-]{1,64}$/

export async function yjsRoutes(app: TypedApp, d: YjsRouteDeps): Promise<void> {
  // No permessage-deflate: Yjs updates are small and already compact.
  await app.register(fastifyWebsocket, {
    options: { maxPayload: d.maxMessageBytes, perMessageDeflate: false },
  })
  app.get(
    '/yjs/:docName',
    {
      websocket: true,
      schema: {
        summary: 'y-websocket endpoint of a card description (`card-{cardId}`), token in `token`',
        params: Type.Object({ docName: Type.String({ maxLength: 200 }) }),
        querystring: Type.Object(
          { token: Type.Optional(Type.String({ maxLength: 8192 })) },
          { additionalProperties: true },
        ),
      },
    },
    (socket, request) => {
      const { docName } = request.params
      socket.binaryType = 'nodebuffer'
      const queued: Buffer[] = []
      let handler: Awaited<ReturnType<YjsRooms['join']>> | undefined
      let chain: Promise<void> = Promise.resolve()
      let closed = false
      // Messages are handled one at a time, in order, per socket (an update is stored before the next is read).
      const take = (data: Buffer) => {
        chain = chain
          .then(() => (closed ? undefined : handler!.receive(new Uint8Array(data))))
          .catch(() => socket.terminate())
      }
      socket.on('message', (data: Buffer) => (handler ? take(data) : queued.push(data)))
      socket.on('close', () => {
        closed = true
        chain = chain.then(() => handler?.leave())
      })
      socket.on('error', () => socket.terminate())
      ;(async () => {
        if (!DOC.test(docName)) return socket.close(4404, 'no such document')
        let user: string
        try {
          user = (await d.tokens.verify(request.query.token)).user
        } catch {
          return socket.close(4401, 'a valid token is required (the `token` query parameter)')
        }
        try {
          await d.authorize(user, docName)
        } catch {
          return socket.close(4404, 'no such document, or not a member of its board')
        }
        if (closed) return
        handler = await d.rooms.join(docName, socket)
        if (closed) {
          await handler.leave()
          return
        }
        for (const q of queued.splice(0)) take(q)
      })().catch(() => socket.terminate())
    },
  )
}
