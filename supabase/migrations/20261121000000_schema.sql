-- Breakwater's durable record: the schema outline every function writes to.
-- Edge functions reach these tables only through SQL functions called by the service role
-- (later migrations add them); anon and authenticated get nothing, and RLS is on everywhere so a
-- leaked anon key reads nothing even if a grant slips in.

-- Every webhook delivery we accepted, unique per provider and event: the exactly-once authority.
create table public.webhook_events (
  id bigint generated always as identity primary key,
  provider text not null check (provider in ('stripe', 'twilio')),
  event_id text not null,
  event_type text not null,
  livemode boolean,
  -- When the provider says the event happened (Stripe `created`), used to order effects.
  occurred_at timestamptz,
  payload jsonb not null,
  -- applied | ignored (no effect for this type or mode) | stale (older than the stored state)
  outcome text not null check (outcome in ('applied', 'ignored', 'stale')),
  received_at timestamptz not null default now(),
  unique (provider, event_id)
);

create table public.payments (
  id text primary key, -- Stripe PaymentIntent id
  customer_id text,
  amount bigint,
  amount_refunded bigint not null default 0,
  currency text,
  status text not null,
  -- The event that last wrote this row, so a stale delivery never overwrites newer state.
  last_event_id text not null,
  last_event_at timestamptz not null,
  updated_at timestamptz not null default now()
);

create table public.subscriptions (
  id text primary key, -- Stripe Subscription id
  customer_id text,
  status text not null,
  price_id text,
  current_period_end timestamptz,
  cancel_at_period_end boolean not null default false,
  last_event_id text not null,
  last_event_at timestamptz not null,
  updated_at timestamptz not null default now()
);

create table public.sms_messages (
  message_sid text primary key,
  account_sid text,
  direction text not null check (direction in ('inbound', 'outbound', 'unknown')),
  from_number text,
  to_number text,
  body text,
  status text,
  -- queued < sending < sent < delivered < read; undelivered/failed are terminal.
  status_rank smallint not null default 0,
  error_code text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table public.api_keys (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  -- SHA-256 of the key, hex; the key itself is never stored.
  key_hash text not null unique check (key_hash ~ '^[0-9a-f]{64}$'),
  requests_per_minute integer check (requests_per_minute > 0),
  tokens_per_minute integer check (tokens_per_minute > 0),
  created_at timestamptz not null default now(),
  revoked_at timestamptz
);

create table public.ai_usage (
  id bigint generated always as identity primary key,
  request_id text not null,
  key_id text not null,
  public_model text not null,
  provider text,
  upstream_model text,
  prompt_tokens integer not null default 0,
  completion_tokens integer not null default 0,
  cost_usd numeric(14, 8) not null default 0,
  latency_ms integer not null,
  attempts smallint not null,
  status smallint not null,
  created_at timestamptz not null default now()
);
create index ai_usage_key_time on public.ai_usage (key_id, created_at);

create table public.health_checks (
  id bigint generated always as identity primary key,
  checked_at timestamptz not null default now(),
  source text not null check (source in ('request', 'cron')),
  status text not null check (status in ('healthy', 'degraded', 'unhealthy')),
  checks jsonb not null,
  breakers jsonb not null default '{}'::jsonb
);
create index health_checks_time on public.health_checks (checked_at desc);

do $$
declare
  t text;
begin
  foreach t in array array['webhook_events', 'payments', 'subscriptions', 'sms_messages',
                           'api_keys', 'ai_usage', 'health_checks'] loop
    execute format('alter table public.%I enable row level security', t);
    execute format('revoke all on table public.%I from public, anon, authenticated', t);
    execute format('grant select, insert, update, delete on table public.%I to service_role', t);
  end loop;
end
$$;

-- Identity columns' sequences got Supabase's default grants when their tables were created.
revoke all on all sequences in schema public from anon, authenticated;

-- Functions created by later migrations are executable by the service role only. PostgreSQL's
-- own EXECUTE-to-PUBLIC default can only be revoked in the global form (no `in schema`).
alter default privileges revoke execute on functions from public;
alter default privileges in schema public revoke all on functions from anon, authenticated;
alter default privileges in schema public revoke all on tables from anon, authenticated;
alter default privileges in schema public revoke all on sequences from anon, authenticated;

-- The database check of GET /health: one cheap round trip that proves the RPC path works.
create function public.health_ping() returns jsonb
language sql stable
as $$ select jsonb_build_object('ok', true, 'time', now()) $$;
revoke execute on function public.health_ping() from public, anon, authenticated;
grant execute on function public.health_ping() to service_role;
