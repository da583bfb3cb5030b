/** Where the system lives: the route prefix, the provider's mount path and the issuer's path. */
export const PREFIX = '/auth'
