-- Usage rows say how the prompt was served and what the answer cost to think: tokens read from
-- a prompt cache, tokens written to one, and reasoning tokens, each priced at its own rate in
-- cost_usd. prompt_tokens still counts every input token, cached or not (OpenAI's convention).
alter table public.ai_usage
  add column cached_tokens integer not null default 0,
  add column cache_write_tokens integer not null default 0,
  add column reasoning_tokens integer not null default 0;

-- One signature only: PostgREST resolves an RPC by its named arguments.
drop function public.record_ai_usage(text, text, text, text, text, integer, integer, numeric,
  integer, integer, integer);

create function public.record_ai_usage(
  request_id text, key_id text, public_model text, provider text, upstream_model text,
  prompt_tokens integer, completion_tokens integer, cost_usd numeric, latency_ms integer,
  attempts integer, status integer, cached_tokens integer default 0,
  cache_write_tokens integer default 0, reasoning_tokens integer default 0)
returns bigint
language sql
set search_path = ''
as $$
  insert into public.ai_usage (request_id, key_id, public_model, provider, upstream_model,
    prompt_tokens, completion_tokens, cost_usd, latency_ms, attempts, status, cached_tokens,
    cache_write_tokens, reasoning_tokens)
  values (record_ai_usage.request_id, record_ai_usage.key_id, record_ai_usage.public_model,
    record_ai_usage.provider, record_ai_usage.upstream_model, record_ai_usage.prompt_tokens,
    record_ai_usage.completion_tokens, record_ai_usage.cost_usd, record_ai_usage.latency_ms,
    record_ai_usage.attempts, record_ai_usage.status, record_ai_usage.cached_tokens,
    record_ai_usage.cache_write_tokens, record_ai_usage.reasoning_tokens)
  returning id
$$;
revoke execute on function public.record_ai_usage(text, text, text, text, text, integer, integer,
  numeric, integer, integer, integer, integer, integer, integer) from public, anon, authenticated;
grant execute on function public.record_ai_usage(text, text, text, text, text, integer, integer,
  numeric, integer, integer, integer, integer, integer, integer) to service_role;
