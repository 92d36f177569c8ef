import { list, string } from "../env/schema.ts";
import type { CallerAuth } from "./caller.ts";
import { createJwtVerifier, SUPABASE_JWKS_PATH } from "./jwt.ts";

/** The variables of caller authentication; SUPABASE_URL (the JWKS) comes with supabaseVars. */
export const authVars = {
  /** Comma-separated service keys (backends); none means only user tokens are taken. */
  SERVICE_API_KEYS: list().optional(),
  /** The project's legacy HS256 secret; the JWKS (RS256/ES256) is always consulted. */
  SUPABASE_JWT_SECRET: string().optional(),
};

/** Service keys and a Supabase token verifier from a function's parsed env. Build once per isolate. */
export function callerAuthFrom(env: {
  SERVICE_API_KEYS: string[] | undefined;
  SUPABASE_JWT_SECRET: string | undefined;
  SUPABASE_URL: string;
}): CallerAuth {
  return {
    serviceKeys: env.SERVICE_API_KEYS ?? [],
    verifyJwt: createJwtVerifier({
      secret: env.SUPABASE_JWT_SECRET,
      jwksUrl: `${env.SUPABASE_URL}${SUPABASE_JWKS_PATH}`,
    }),
  };
}
