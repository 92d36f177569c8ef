-- Events: signed outbound webhooks (endpoints, events, one delivery per endpoint, every attempt)
-- and inbound webhooks from any Standard Webhooks or GitHub sender, stored in webhook_events.
--
-- Every function below is one `supabase.rpc()` call, i.e. one transaction. POST /events commits
-- the event and all its deliveries before it answers 202. Attempts are claimed, never just read:
-- a claim stamps the delivery with a fresh claim_id and a lease (claimed_until), under
-- FOR UPDATE SKIP LOCKED, so two overlapping cron runs (or a cron run and the request that
-- published the event) never take the same delivery; a claimant that dies simply lets its lease
-- run out, and the next cron run takes the delivery again. An outcome is recorded only by the
-- holder of the current claim.
--
-- Malformed input raises SQLSTATE 22023 (PostgREST answers 400) before anything is written.

-- Inbound sources are named by the operator (WEBHOOK_SOURCES): the provider is the source's name.
alter table public.webhook_events drop constraint webhook_events_provider_check;
alter table public.webhook_events add constraint webhook_events_provider_check
  check (provider ~ '^[a-z0-9][a-z0-9_-]{0,62}$');
-- `received`: stored for the product to consume (no effect is applied here).
alter table public.webhook_events drop constraint webhook_events_outcome_check;
alter table public.webhook_events add constraint webhook_events_outcome_check
  check (outcome in ('applied', 'ignored', 'stale', 'received'));

create table public.webhook_endpoints (
  id uuid primary key default gen_random_uuid(),
  url text not null,
  -- The receiving host (the breaker `webhook:<host>`), so claims can spread over hosts.
  host text not null,
  -- Event types it receives: exact (`invoice.paid`), a prefix (`invoice.*`) or everything (`*`).
  event_types text[] not null check (cardinality(event_types) > 0),
  description text,
  secret text not null,
  -- After a rotation the old secret signs beside the new one until previous_secret_until.
  previous_secret text,
  previous_secret_until timestamptz,
  -- The first failed attempt since the last success; five days of that disables the endpoint.
  failing_since timestamptz,
  disabled_at timestamptz,
  disabled_reason text,
  created_at timestamptz not null default now(),
  deleted_at timestamptz
);

create table public.outbound_events (
  id text primary key,
  type text not null,
  data jsonb not null,
  created_at timestamptz not null default now()
);

create table public.webhook_deliveries (
  -- The `webhook-id` header: the same on every attempt of this delivery.
  id text primary key default 'msg_' || replace(gen_random_uuid()::text, '-', ''),
  event_id text not null references public.outbound_events (id),
  endpoint_id uuid not null references public.webhook_endpoints (id),
  status text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
  attempts integer not null default 0,
  -- When the next attempt is due; null once delivered or failed.
  next_attempt_at timestamptz,
  claim_id uuid,
  claimed_until timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index webhook_deliveries_due on public.webhook_deliveries (next_attempt_at)
  where status = 'pending';
create index webhook_deliveries_event on public.webhook_deliveries (event_id);
create index webhook_deliveries_endpoint on public.webhook_deliveries (endpoint_id)
  where status = 'pending';

create table public.webhook_attempts (
  id bigint generated always as identity primary key,
  delivery_id text not null references public.webhook_deliveries (id),
  attempted_at timestamptz not null,
  status_code integer,
  latency_ms integer not null,
  error text,
  -- At most 64 KiB of the receiver's answer.
  response_body text
);
create index webhook_attempts_delivery on public.webhook_attempts (delivery_id);

do $$
declare
  t text;
begin
  foreach t in array array['webhook_endpoints', 'outbound_events', 'webhook_deliveries',
                           'webhook_attempts'] loop
    execute format('alter table public.%I enable row level security', t);
    execute format('revoke all on table public.%I from public, anon, authenticated', t);
    execute format('grant select, insert, update, delete on table public.%I to service_role', t);
  end loop;
end
$$;
revoke all on all sequences in schema public from anon, authenticated;

-- ---------------------------------------------------------------------------------------------
-- Helpers
-- ---------------------------------------------------------------------------------------------

-- Whether an endpoint subscribed to `patterns` receives events of `event_type`.
create function public.events_type_matches(patterns text[], event_type text) returns boolean
language sql immutable
set search_path = ''
as $$
  select exists (
    select 1 from unnest(patterns) p
    where p = '*' or p = event_type
       or (right(p, 2) = '.*' and left(event_type, length(p) - 1) = left(p, -1)))
$$;

-- An endpoint as the API shows it: never its secrets.
create function public.events_endpoint_json(e public.webhook_endpoints) returns jsonb
language sql stable
set search_path = ''
as $$
  select jsonb_build_object('id', e.id, 'url', e.url, 'events', to_jsonb(e.event_types),
    'description', e.description, 'created_at', e.created_at,
    'disabled', e.disabled_at is not null, 'disabled_reason', e.disabled_reason)
$$;

-- What an attempt needs, for deliveries just claimed: where, with which secrets, what event.
create function public.events_claimed_json(claimed text[]) returns jsonb
language sql stable
set search_path = ''
as $$
  select coalesce(jsonb_agg(jsonb_build_object(
      'id', d.id, 'claim_id', d.claim_id, 'attempt', d.attempts + 1,
      'endpoint_id', e.id, 'url', e.url, 'host', e.host,
      'secrets', to_jsonb(array_remove(array[e.secret,
        case when e.previous_secret_until > now() then e.previous_secret end], null)),
      'event', jsonb_build_object('id', v.id, 'type', v.type, 'created_at', v.created_at,
        'data', v.data))
      order by d.next_attempt_at, d.id), '[]'::jsonb)
  from public.webhook_deliveries d
  join public.webhook_endpoints e on e.id = d.endpoint_id
  join public.outbound_events v on v.id = d.event_id
  where d.id = any (claimed)
$$;

-- Fails every pending delivery of an endpoint that will not be attempted again.
create function public.events_stop_endpoint(endpoint uuid, reason text) returns void
language sql
set search_path = ''
as $$
  update public.webhook_endpoints set disabled_at = coalesce(disabled_at, now()),
    disabled_reason = coalesce(disabled_reason, reason)
  where id = endpoint;
  update public.webhook_deliveries set status = 'failed', next_attempt_at = null,
    claim_id = null, claimed_until = null, updated_at = now()
  where endpoint_id = endpoint and status = 'pending';
$$;

-- ---------------------------------------------------------------------------------------------
-- Endpoints
-- ---------------------------------------------------------------------------------------------

create function public.events_create_endpoint(
  url text, host text, event_types text[], description text, secret text)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_row public.webhook_endpoints;
begin
  if coalesce(url, '') = '' or coalesce(host, '') = '' or coalesce(secret, '') = ''
     or coalesce(cardinality(event_types), 0) = 0 then
    raise exception 'events_create_endpoint: url, host, event_types and secret are required'
      using errcode = '22023';
  end if;
  insert into public.webhook_endpoints (url, host, event_types, description, secret)
  values (events_create_endpoint.url, events_create_endpoint.host,
          events_create_endpoint.event_types, events_create_endpoint.description,
          events_create_endpoint.secret)
  returning * into v_row;
  return public.events_endpoint_json(v_row);
end
$$;

create function public.events_list_endpoints() returns jsonb
language sql stable
set search_path = ''
as $$
  select coalesce(jsonb_agg(public.events_endpoint_json(e) order by e.created_at, e.id), '[]')
  from public.webhook_endpoints e where e.deleted_at is null
$$;

-- Deleting keeps the endpoint's history (its deliveries stay inspectable); nothing is sent again.
create function public.events_delete_endpoint(endpoint_id uuid) returns boolean
language plpgsql
set search_path = ''
as $$
begin
  update public.webhook_endpoints set deleted_at = now()
  where id = endpoint_id and deleted_at is null;
  if not found then
    return false;
  end if;
  perform public.events_stop_endpoint(endpoint_id, 'deleted');
  return true;
end
$$;

-- The new secret signs from now on; the current one keeps signing beside it for `overlap_seconds`.
create function public.events_rotate_secret(endpoint_id uuid, secret text, overlap_seconds integer)
returns boolean
language plpgsql
set search_path = ''
as $$
begin
  if coalesce(secret, '') = '' or coalesce(overlap_seconds, -1) < 0 then
    raise exception 'events_rotate_secret: a secret and a non-negative overlap are required'
      using errcode = '22023';
  end if;
  update public.webhook_endpoints e
  set previous_secret = e.secret,
      previous_secret_until = now() + make_interval(secs => overlap_seconds),
      secret = events_rotate_secret.secret
  where e.id = endpoint_id and e.deleted_at is null;
  return found;
end
$$;

-- ---------------------------------------------------------------------------------------------
-- Events and deliveries
-- ---------------------------------------------------------------------------------------------

-- Records an event and one delivery per subscribed endpoint, all claimed by the caller for its
-- first attempt (lease_ms). A repeated id creates nothing and claims nothing: `duplicate`.
create function public.events_publish(event_id text, event_type text, data jsonb, lease_ms integer)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_inserted text;
  v_claimed text[];
begin
  if coalesce(event_id, '') = '' or coalesce(event_type, '') = '' or data is null
     or coalesce(lease_ms, 0) <= 0 then
    raise exception 'events_publish: event_id, event_type, data and a positive lease are required'
      using errcode = '22023';
  end if;
  -- A concurrent publish of the same id waits here until the first one commits.
  insert into public.outbound_events (id, type, data)
  values (events_publish.event_id, event_type, events_publish.data)
  on conflict (id) do nothing
  returning id into v_inserted;
  if v_inserted is null then
    return jsonb_build_object('duplicate', true, 'deliveries',
      (select count(*) from public.webhook_deliveries d where d.event_id = events_publish.event_id),
      'claimed', '[]'::jsonb);
  end if;
  with created as (
    insert into public.webhook_deliveries (event_id, endpoint_id, next_attempt_at, claim_id,
                                           claimed_until)
    select events_publish.event_id, e.id, now(), gen_random_uuid(),
           now() + make_interval(secs => lease_ms / 1000.0)
    from public.webhook_endpoints e
    where e.deleted_at is null and e.disabled_at is null
      and public.events_type_matches(e.event_types, event_type)
    returning id)
  select coalesce(array_agg(id), '{}') into v_claimed from created;
  return jsonb_build_object('duplicate', false, 'deliveries', cardinality(v_claimed),
    'claimed', public.events_claimed_json(v_claimed));
end
$$;

-- Sends an event again: a new delivery (new webhook-id) to every active subscribed endpoint, or
-- to the one named. Claimed for the caller's first attempt. Null when there is no such event.
create function public.events_replay(event_id text, endpoint_id uuid, lease_ms integer)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_type text;
  v_claimed text[];
begin
  if coalesce(lease_ms, 0) <= 0 then
    raise exception 'events_replay: a positive lease is required' using errcode = '22023';
  end if;
  select v.type into v_type from public.outbound_events v where v.id = events_replay.event_id;
  if v_type is null then
    return null;
  end if;
  with created as (
    insert into public.webhook_deliveries (event_id, endpoint_id, next_attempt_at, claim_id,
                                           claimed_until)
    select events_replay.event_id, e.id, now(), gen_random_uuid(),
           now() + make_interval(secs => lease_ms / 1000.0)
    from public.webhook_endpoints e
    where e.deleted_at is null and e.disabled_at is null
      and (e.id = events_replay.endpoint_id
           or (events_replay.endpoint_id is null
               and public.events_type_matches(e.event_types, v_type)))
    returning id)
  select coalesce(array_agg(id), '{}') into v_claimed from created;
  return jsonb_build_object('deliveries', cardinality(v_claimed),
    'claimed', public.events_claimed_json(v_claimed));
end
$$;

-- Claims due attempts for one cron run: at most `per_host` per receiving host (so one host's
-- backlog never crowds the others out of a run) and `max_count` in all, oldest due first.
create function public.events_claim_due(max_count integer, per_host integer, lease_ms integer)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_claimed text[];
begin
  if coalesce(max_count, 0) <= 0 or coalesce(per_host, 0) <= 0 or coalesce(lease_ms, 0) <= 0 then
    raise exception 'events_claim_due: max_count, per_host and lease_ms must be positive'
      using errcode = '22023';
  end if;
  with ranked as (
    select d.id, d.next_attempt_at,
           row_number() over (partition by e.host order by d.next_attempt_at, d.id) as n
    from public.webhook_deliveries d
    join public.webhook_endpoints e on e.id = d.endpoint_id
    where d.status = 'pending' and d.next_attempt_at <= now()
      and (d.claimed_until is null or d.claimed_until <= now())),
  picked as (
    -- Rows another run holds are skipped; rows it claimed and committed meanwhile fail the
    -- re-checked condition (READ COMMITTED re-evaluates it on the latest version).
    select d.id from public.webhook_deliveries d
    where d.id in (select r.id from ranked r where r.n <= per_host
                   order by r.next_attempt_at, r.id limit max_count)
      and d.status = 'pending' and d.next_attempt_at <= now()
      and (d.claimed_until is null or d.claimed_until <= now())
    for update skip locked),
  claimed as (
    update public.webhook_deliveries d
    set claim_id = gen_random_uuid(),
        claimed_until = now() + make_interval(secs => lease_ms / 1000.0)
    from picked where d.id = picked.id
    returning d.id)
  select coalesce(array_agg(id), '{}') into v_claimed from claimed;
  return public.events_claimed_json(v_claimed);
end
$$;

-- Gives claimed attempts back without spending them (their host's breaker is open): each is
-- due again at `not_before`.
create function public.events_defer(delivery_ids text[], claim_ids uuid[], not_before timestamptz)
returns integer
language sql
set search_path = ''
as $$
  with deferred as (
    update public.webhook_deliveries d
    set next_attempt_at = not_before, claim_id = null, claimed_until = null, updated_at = now()
    from unnest(delivery_ids, claim_ids) as c(id, claim_id)
    where d.id = c.id and d.claim_id = c.claim_id and d.status = 'pending'
    returning d.id)
  select count(*)::integer from deferred
$$;

-- One attempt's outcome, from the holder of its claim:
--   delivered  a 2xx: the delivery is done, the endpoint no longer failing;
--   retry      a failure with attempts left: due again after retry_in_ms;
--   failed     a failure with none left;
--   gone       a 410: the endpoint is disabled and its pending deliveries fail.
-- A failure when the endpoint has failed without a success for `disable_after` disables it.
-- The attempt is always recorded (it happened); the delivery changes only under the current
-- claim (`recorded: false` otherwise: the lease ran out and another run took it over).
create function public.events_record_attempt(
  delivery_id text, claim_id uuid, outcome text, attempted_at timestamptz, latency_ms integer,
  status_code integer default null, error text default null, response_body text default null,
  retry_in_ms integer default null, disable_after interval default interval '5 days')
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_endpoint uuid;
  v_failing_since timestamptz;
begin
  if outcome is null or outcome not in ('delivered', 'retry', 'failed', 'gone')
     or (outcome = 'retry' and coalesce(retry_in_ms, -1) < 0) or latency_ms is null
     or attempted_at is null then
    raise exception 'events_record_attempt: outcome (delivered, retry, failed, gone), '
      'attempted_at, latency_ms and, to retry, retry_in_ms are required' using errcode = '22023';
  end if;
  insert into public.webhook_attempts
    (delivery_id, attempted_at, status_code, latency_ms, error, response_body)
  values (events_record_attempt.delivery_id, attempted_at, status_code, latency_ms,
          events_record_attempt.error, response_body);

  update public.webhook_deliveries d
  set attempts = d.attempts + 1,
      status = case outcome when 'delivered' then 'delivered'
                            when 'retry' then 'pending' else 'failed' end,
      next_attempt_at = case when outcome = 'retry'
                             then now() + make_interval(secs => retry_in_ms / 1000.0) end,
      claim_id = null, claimed_until = null, updated_at = now()
  where d.id = events_record_attempt.delivery_id and d.claim_id = events_record_attempt.claim_id
    and d.status = 'pending'
  returning d.endpoint_id into v_endpoint;
  if v_endpoint is null then
    return jsonb_build_object('recorded', false);
  end if;

  if outcome = 'delivered' then
    update public.webhook_endpoints set failing_since = null where id = v_endpoint;
  elsif outcome = 'gone' then
    perform public.events_stop_endpoint(v_endpoint, 'the receiver answered 410 Gone');
  else
    update public.webhook_endpoints set failing_since = coalesce(failing_since, attempted_at)
    where id = v_endpoint
    returning failing_since into v_failing_since;
    if v_failing_since <= now() - disable_after then
      perform public.events_stop_endpoint(v_endpoint, 'every delivery failed for 5 days');
    end if;
  end if;
  return jsonb_build_object('recorded', true);
end
$$;

-- GET /events/{id}: the event, each delivery's state and every attempt. Null when unknown.
create function public.events_get(event_id text) returns jsonb
language sql stable
set search_path = ''
as $$
  select jsonb_build_object('id', v.id, 'type', v.type, 'created_at', v.created_at,
    'data', v.data,
    'deliveries', coalesce((
      select jsonb_agg(jsonb_build_object('id', d.id, 'endpoint_id', d.endpoint_id,
          'url', e.url, 'status', d.status, 'next_attempt_at', d.next_attempt_at,
          'attempts', coalesce((
            select jsonb_agg(jsonb_build_object('at', a.attempted_at,
                'status_code', a.status_code, 'latency_ms', a.latency_ms, 'error', a.error)
              order by a.attempted_at, a.id)
            from public.webhook_attempts a where a.delivery_id = d.id), '[]'))
        order by d.created_at, d.id)
      from public.webhook_deliveries d
      join public.webhook_endpoints e on e.id = d.endpoint_id
      where d.event_id = v.id), '[]'))
  from public.outbound_events v where v.id = events_get.event_id
$$;

-- ---------------------------------------------------------------------------------------------
-- Inbound: a verified delivery from a configured source, stored once (unique provider + id).
-- ---------------------------------------------------------------------------------------------

create function public.webhook_record_inbound(
  source text, event_id text, event_type text, payload jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_row_id bigint;
begin
  if coalesce(source, '') = '' or coalesce(event_id, '') = '' or event_type is null
     or payload is null then
    raise exception 'webhook_record_inbound: source, event_id, event_type and payload are required'
      using errcode = '22023';
  end if;
  insert into public.webhook_events (provider, event_id, event_type, payload, outcome)
  values (source, webhook_record_inbound.event_id, event_type, payload, 'received')
  on conflict on constraint webhook_events_provider_event_id_key do nothing
  returning id into v_row_id;
  return jsonb_build_object('duplicate', v_row_id is null);
end
$$;

-- Executable by the service role only (the default privileges already keep anon and
-- authenticated out; this says so for each function).
do $$
declare
  f regprocedure;
begin
  for f in select p.oid::regprocedure from pg_proc p
           where p.pronamespace = 'public'::regnamespace
             and (p.proname like 'events\_%' or p.proname = 'webhook_record_inbound') loop
    execute format('revoke execute on function %s from public, anon, authenticated', f);
    execute format('grant execute on function %s to service_role', f);
  end loop;
end
$$;

-- Every minute, pg_cron has pg_net call the deployed events function's cron route, as for
-- health (see 20261121000100_health.sql). For the Supabase Edge Function `events`:
--   select vault.create_secret('https://<project-ref>.supabase.co/functions/v1/events/events/cron', 'breakwater_events_cron_url');
-- with the same `breakwater_cron_secret`. Skipped where pg_cron, pg_net or Vault is missing.
do $migration$
begin
  if (select count(*) from pg_available_extensions
      where name in ('pg_cron', 'pg_net', 'supabase_vault')) < 3 then
    raise notice 'pg_cron, pg_net or supabase_vault unavailable: events cron not scheduled';
    return;
  end if;
  create extension if not exists pg_cron;
  create extension if not exists pg_net with schema extensions;
  perform cron.schedule('breakwater-events', '* * * * *', $job$
    select net.http_get(
      url := (select decrypted_secret from vault.decrypted_secrets
              where name = 'breakwater_events_cron_url'),
      headers := jsonb_build_object('Authorization', 'Bearer ' ||
        (select decrypted_secret from vault.decrypted_secrets where name = 'breakwater_cron_secret')),
      timeout_milliseconds := 60000)
    where exists (select 1 from vault.decrypted_secrets where name = 'breakwater_events_cron_url')
  $job$);
end
$migration$;
