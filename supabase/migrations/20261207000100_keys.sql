-- Proxy keys you can manage (create, list, revoke through `npm run keys` and /admin/keys), with
-- per-key limits, a spend budget per UTC day or month, a model allow-list, an expiry and a
-- response-cache age; and cache hits marked in ai_usage.

alter table public.api_keys
  -- `bw-` and the first characters of the key: enough to recognise it in a list, never to use it.
  add column prefix text,
  add column budget_usd numeric(14, 6) check (budget_usd > 0),
  add column budget_period text check (budget_period in ('day', 'month')),
  -- Public model names this key may ask for; null: every model.
  add column models text[] check (cardinality(models) > 0),
  add column expires_at timestamptz,
  add column cache_max_age integer check (cache_max_age > 0),
  add column allow_direct_models boolean not null default false,
  add constraint api_keys_budget_whole check ((budget_usd is null) = (budget_period is null));

alter table public.ai_usage add column cache_hit boolean not null default false;

-- The start of the current budget period (UTC) of a key with `period` ('day' or 'month').
create function public.ai_period_start(period text)
returns timestamptz
language sql stable
set search_path = ''
as $$
  select date_trunc(period, now() at time zone 'utc') at time zone 'utc'
$$;

-- What a key has spent since `since`, from the usage record (the authority for spend).
create function public.ai_key_spend(key_id uuid, since timestamptz)
returns numeric
language sql stable
set search_path = ''
as $$
  select coalesce(sum(u.cost_usd), 0)
  from public.ai_usage u
  where u.key_id = 'key_' || ai_key_spend.key_id and u.created_at >= ai_key_spend.since
$$;

create function public.ai_key_create(
  key_hash text, prefix text, name text, requests_per_minute integer default null,
  tokens_per_minute integer default null, budget_usd numeric default null,
  budget_period text default null, models text[] default null, expires_at timestamptz default null,
  cache_max_age integer default null, allow_direct_models boolean default false)
returns table (id uuid, created_at timestamptz)
language sql
set search_path = ''
as $$
  insert into public.api_keys (key_hash, prefix, name, requests_per_minute, tokens_per_minute,
    budget_usd, budget_period, models, expires_at, cache_max_age, allow_direct_models)
  values (ai_key_create.key_hash, ai_key_create.prefix, ai_key_create.name,
    ai_key_create.requests_per_minute, ai_key_create.tokens_per_minute, ai_key_create.budget_usd,
    ai_key_create.budget_period, ai_key_create.models, ai_key_create.expires_at,
    ai_key_create.cache_max_age, coalesce(ai_key_create.allow_direct_models, false))
  returning api_keys.id, api_keys.created_at
$$;

-- Every key, newest first, with its spend in the current period (its budget's, else the month):
-- never the key or its hash.
create function public.ai_key_list()
returns table (id uuid, name text, prefix text, requests_per_minute integer,
  tokens_per_minute integer, budget_usd numeric, budget_period text, models text[],
  expires_at timestamptz, cache_max_age integer, allow_direct_models boolean,
  created_at timestamptz, revoked_at timestamptz, period_start timestamptz, spend_usd numeric)
language sql stable
set search_path = ''
as $$
  select k.id, k.name, k.prefix, k.requests_per_minute, k.tokens_per_minute, k.budget_usd,
    k.budget_period, k.models, k.expires_at, k.cache_max_age, k.allow_direct_models,
    k.created_at, k.revoked_at, p.start, public.ai_key_spend(k.id, p.start)
  from public.api_keys k
  cross join lateral (select public.ai_period_start(coalesce(k.budget_period, 'month')) as start) p
  order by k.created_at desc, k.id
$$;

-- Revokes a key (idempotent: a second call keeps the first time). No row: no such key.
create function public.ai_key_revoke(key_id uuid)
returns table (id uuid, revoked_at timestamptz)
language sql
set search_path = ''
as $$
  update public.api_keys k set revoked_at = coalesce(k.revoked_at, now())
  where k.id = ai_key_revoke.key_id
  returning k.id, k.revoked_at
$$;

-- The key behind a presented hash, revoked or not (the proxy says which), with everything the
-- proxy enforces and, for a budgeted key, its spend so far this period: what a wiped Redis
-- counter is rebuilt from. One round trip, cached per isolate by the proxy.
drop function public.ai_key_lookup(text);
create function public.ai_key_lookup(key_hash text)
returns table (id uuid, name text, requests_per_minute integer, tokens_per_minute integer,
  budget_usd numeric, budget_period text, models text[], expires_at timestamptz,
  cache_max_age integer, allow_direct_models boolean, revoked_at timestamptz,
  period_start timestamptz, spend_usd numeric)
language sql stable
set search_path = ''
as $$
  select k.id, k.name, k.requests_per_minute, k.tokens_per_minute, k.budget_usd, k.budget_period,
    k.models, k.expires_at, k.cache_max_age, k.allow_direct_models, k.revoked_at, p.start,
    case when k.budget_period is null then null else public.ai_key_spend(k.id, p.start) end
  from public.api_keys k
  cross join lateral (
    select case when k.budget_period is null then null
      else public.ai_period_start(k.budget_period) end as start) p
  where k.key_hash = ai_key_lookup.key_hash
$$;

do $$
declare
  f text;
begin
  foreach f in array array[
    'public.ai_period_start(text)', 'public.ai_key_spend(uuid, timestamptz)',
    'public.ai_key_create(text, text, text, integer, integer, numeric, text, text[], timestamptz, integer, boolean)',
    'public.ai_key_list()', 'public.ai_key_revoke(uuid)', 'public.ai_key_lookup(text)'
  ] loop
    execute format('revoke execute on function %s from public, anon, authenticated', f);
    execute format('grant execute on function %s to service_role', f);
  end loop;
end
$$;
