-- The operator's status page (GET /status): every aggregate it shows from Postgres in one call.

-- Both scans start from a time bound: without these the page would read every row ever written.
create index webhook_events_received on public.webhook_events (received_at);
create index ai_usage_time on public.ai_usage (created_at);

-- Since `since` (the page asks for the last 24 h): webhook events by provider and outcome, AI
-- usage by public model and by key (requests, tokens, cost, p50/p95 latency, errors), and the
-- hourly AI requests, AI errors and stored webhook events for the chart. An AI error is a request
-- answered 5xx (the caller's own mistakes, 4xx, are not the service failing).
create function public.status_summary(since timestamptz)
returns jsonb
language sql stable
set search_path = ''
as $$
  with usage as (
    select * from public.ai_usage u where u.created_at >= status_summary.since
  ),
  events as (
    select * from public.webhook_events e where e.received_at >= status_summary.since
  )
  select jsonb_build_object(
    'webhooks', coalesce((
      select jsonb_agg(w order by w.provider) from (
        select provider,
          count(*) as stored,
          count(*) filter (where outcome = 'applied') as applied,
          count(*) filter (where outcome = 'ignored') as ignored,
          count(*) filter (where outcome = 'stale') as stale
        from events group by provider
      ) w), '[]'::jsonb),
    'models', coalesce((
      select jsonb_agg(m order by m.name) from (
        select public_model as name, count(*) as requests,
          sum(prompt_tokens) as input_tokens, sum(completion_tokens) as output_tokens,
          sum(cost_usd) as cost_usd,
          percentile_cont(0.5) within group (order by latency_ms) as p50_ms,
          percentile_cont(0.95) within group (order by latency_ms) as p95_ms,
          count(*) filter (where status >= 500) as errors
        from usage group by public_model
      ) m), '[]'::jsonb),
    'keys', coalesce((
      select jsonb_agg(k order by k.name) from (
        select key_id as name, count(*) as requests,
          sum(prompt_tokens) as input_tokens, sum(completion_tokens) as output_tokens,
          sum(cost_usd) as cost_usd,
          percentile_cont(0.5) within group (order by latency_ms) as p50_ms,
          percentile_cont(0.95) within group (order by latency_ms) as p95_ms,
          count(*) filter (where status >= 500) as errors
        from usage group by key_id
      ) k), '[]'::jsonb),
    'hours', coalesce((
      select jsonb_agg(h order by h.hour) from (
        select (extract(epoch from hour) * 1000)::bigint as hour,
          sum(requests) as ai_requests, sum(errors) as ai_errors, sum(stored) as webhook_events
        from (
          select date_trunc('hour', created_at) as hour, count(*) as requests,
            count(*) filter (where status >= 500) as errors, 0 as stored
          from usage group by 1
          union all
          select date_trunc('hour', received_at), 0, 0, count(*) from events group by 1
        ) per_source group by hour
      ) h), '[]'::jsonb)
  )
$$;
revoke execute on function public.status_summary(timestamptz) from public, anon, authenticated;
grant execute on function public.status_summary(timestamptz) to service_role;
