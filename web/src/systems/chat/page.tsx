/**
 * The chat system's page: a working chat client. Sign in with a user name
 * (the development token issuer), then rooms, messages with their history,
 * presence, typing, read receipts and search, live over the system's
 * WebSocket protocol (`/chat/ws`) and its REST API, as any client would.
 */
import { useCallback, useState } from 'react'
import type { SystemPageProps } from '../registry'
import { ChatClient } from './chat-client'
import { LoginForm } from './login-form'
import { useSession } from './session'
import './chat.css'

/** The page. */
export default function ChatPage(_props: SystemPageProps) {
  const [session, setSession] = useSession()
  const [notice, setNotice] = useState<string>()
  const signOut = useCallback(
    (why?: string) => {
      setNotice(why)
      setSession(undefined)
    },
    [setSession],
  )
  if (!session)
    return (
      <div className="stack chat-page">
        <LoginForm
          notice={notice}
          onLogin={(t) => {
            setNotice(undefined)
            setSession(t)
          }}
        />
      </div>
    )
  return <ChatClient key={session.token} session={session} onSignOut={signOut} />
}
