/** The console uses the chat system's client library (src/systems/chat/client), as any client would. */
export * from '../../../../src/systems/chat/client/chat-client.js'
