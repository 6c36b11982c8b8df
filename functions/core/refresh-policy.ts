interface RefreshTokenSettings {
  refresh_token?: { idle_lifetime?: number; absolute_lifetime?: number; leeway?: number } | undefined;
}

// Its own module so that the functions that issue refresh tokens do not bundle the
// tenant-file schema (core/tenant.ts).

/** A client's refresh-token lifetimes with DESIGN section 11's defaults (15 days idle, 30 absolute, no leeway). */
export interface RefreshTokenPolicy {
  idleLifetime: number;
  absoluteLifetime: number;
  leeway: number;
}

export const refreshTokenPolicy = (client: RefreshTokenSettings): RefreshTokenPolicy => ({
  idleLifetime: client.refresh_token?.idle_lifetime ?? 1_296_000,
  absoluteLifetime: client.refresh_token?.absolute_lifetime ?? 2_592_000,
  leeway: client.refresh_token?.leeway ?? 0,
});

