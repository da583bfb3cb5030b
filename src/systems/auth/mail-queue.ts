/** The queue and task of outgoing mail (names only: index.ts declares the queue without loading nodemailer). */
export const MAIL_QUEUE = 'auth.mail'
export const SEND_MAIL_TASK = 'auth.send-mail'
