-- Usage rows from the response cache: `cache_hit` (added with the keys, 20261207000100) marks an
-- answer served without an upstream call (cost 0). The recorder takes it beside the token columns.

-- One signature only: PostgREST resolves an RPC by its named arguments.
drop function public.record_ai_usage(text, text, text, text, text, integer, integer, numeric,
  integer, integer, integer, integer, integer, integer);

create function public.record_ai_usage(
  request_id text, key_id text, public_model text, provider text, upstream_model text,
  prompt_tokens integer, completion_tokens integer, cost_usd numeric, latency_ms integer,
  attempts integer, status integer, cached_tokens integer default 0,
  cache_write_tokens integer default 0, reasoning_tokens integer default 0,
  cache_hit boolean default false)
returns bigint
language sql
set search_path = ''
as $$
  insert into public.ai_usage (request_id, key_id, public_model, provider, upstream_model,
    prompt_tokens, completion_tokens, cost_usd, latency_ms, attempts, status, cached_tokens,
    cache_write_tokens, reasoning_tokens, cache_hit)
  values (record_ai_usage.request_id, record_ai_usage.key_id, record_ai_usage.public_model,
    record_ai_usage.provider, record_ai_usage.upstream_model, record_ai_usage.prompt_tokens,
    record_ai_usage.completion_tokens, record_ai_usage.cost_usd, record_ai_usage.latency_ms,
    record_ai_usage.attempts, record_ai_usage.status, record_ai_usage.cached_tokens,
    record_ai_usage.cache_write_tokens, record_ai_usage.reasoning_tokens,
    coalesce(record_ai_usage.cache_hit, false))
  returning id
$$;
revoke execute on function public.record_ai_usage(text, text, text, text, text, integer, integer,
  numeric, integer, integer, integer, integer, integer, integer, boolean)
  from public, anon, authenticated;
grant execute on function public.record_ai_usage(text, text, text, text, text, integer, integer,
  numeric, integer, integer, integer, integer, integer, integer, boolean) to service_role;
