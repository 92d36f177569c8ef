-- Usage rows arrive in batches: each isolate holds its rows for a moment and sends them in one
-- call, so a busy proxy costs Postgres (and its own CPU) one RPC per batch, not one per request.

-- One signature only: PostgREST resolves an RPC by its named arguments.
drop function public.record_ai_usage(text, text, text, text, text, integer, integer, numeric,
  integer, integer, integer, integer, integer, integer, boolean);

-- rows: a JSON array of objects named as ai_usage's columns; returns how many were written.
create function public.record_ai_usage(rows jsonb)
returns integer
language sql
set search_path = ''
as $$
  with inserted as (
    insert into public.ai_usage (request_id, key_id, public_model, provider, upstream_model,
      prompt_tokens, completion_tokens, cost_usd, latency_ms, attempts, status, cached_tokens,
      cache_write_tokens, reasoning_tokens, cache_hit)
    select r.request_id, r.key_id, r.public_model, r.provider, r.upstream_model,
      r.prompt_tokens, r.completion_tokens, r.cost_usd, r.latency_ms, r.attempts, r.status,
      coalesce(r.cached_tokens, 0), coalesce(r.cache_write_tokens, 0),
      coalesce(r.reasoning_tokens, 0), coalesce(r.cache_hit, false)
    from jsonb_to_recordset(record_ai_usage.rows) as r(request_id text, key_id text,
      public_model text, provider text, upstream_model text, prompt_tokens integer,
      completion_tokens integer, cost_usd numeric, latency_ms integer, attempts integer,
      status integer, cached_tokens integer, cache_write_tokens integer, reasoning_tokens integer,
      cache_hit boolean)
    returning 1
  )
  select count(*)::integer from inserted
$$;
revoke execute on function public.record_ai_usage(jsonb) from public, anon, authenticated;
grant execute on function public.record_ai_usage(jsonb) to service_role;
