-- AI proxy: caller keys kept as SHA-256 hashes, and one usage row per proxied request.

-- The key behind a presented hash, if it exists and is not revoked: one round trip, cached per
-- isolate by the proxy.
create function public.ai_key_lookup(key_hash text)
returns table (id uuid, name text, requests_per_minute integer, tokens_per_minute integer)
language sql stable
set search_path = ''
as $$
  select k.id, k.name, k.requests_per_minute, k.tokens_per_minute
  from public.api_keys k
  where k.key_hash = ai_key_lookup.key_hash and k.revoked_at is null
$$;
revoke execute on function public.ai_key_lookup(text) from public, anon, authenticated;
grant execute on function public.ai_key_lookup(text) to service_role;

-- One request's usage, written after the response has gone (waitUntil).
create function public.record_ai_usage(
  request_id text, key_id text, public_model text, provider text, upstream_model text,
  prompt_tokens integer, completion_tokens integer, cost_usd numeric, latency_ms integer,
  attempts integer, status integer)
returns bigint
language sql
set search_path = ''
as $$
  insert into public.ai_usage (request_id, key_id, public_model, provider, upstream_model,
    prompt_tokens, completion_tokens, cost_usd, latency_ms, attempts, status)
  values (record_ai_usage.request_id, record_ai_usage.key_id, record_ai_usage.public_model,
    record_ai_usage.provider, record_ai_usage.upstream_model, record_ai_usage.prompt_tokens,
    record_ai_usage.completion_tokens, record_ai_usage.cost_usd, record_ai_usage.latency_ms,
    record_ai_usage.attempts, record_ai_usage.status)
  returning id
$$;
revoke execute on function public.record_ai_usage(text, text, text, text, text, integer, integer,
  numeric, integer, integer, integer) from public, anon, authenticated;
grant execute on function public.record_ai_usage(text, text, text, text, text, integer, integer,
  numeric, integer, integer, integer) to service_role;
