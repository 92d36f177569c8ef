/**
 * The caller's address as the platform's edge reports it: `cf-connecting-ip` on Cloudflare
 * (set by Cloudflare, not the client), `x-real-ip` on Vercel (overwritten by Vercel's edge), else
 * the first `x-forwarded-for` hop (Supabase's gateway). `unknown` when none is present, so every
 * such request shares one identity rather than escaping a per-address limit.
 */
export function clientAddress(headers: Headers): string {
  const direct = headers.get("cf-connecting-ip") ?? headers.get("x-real-ip");
  if (direct) return direct.trim();
  const forwarded = headers.get("x-forwarded-for")?.split(",")[0]?.trim();
  return forwarded || "unknown";
}
