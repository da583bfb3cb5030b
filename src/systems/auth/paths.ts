/** Where the system lives: the route prefix, the provider's mount path and the issuer's path. */
export const PREFIX = '/auth'

/** The scope of the admin API; granted to a user only when the account is an admin. */
export const ADMIN_SCOPE = 'admin'
