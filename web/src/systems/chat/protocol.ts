/** The frame types and parser of the chat client library (src/systems/chat/client). */
export * from '../../../../src/systems/chat/client/frames.js'
