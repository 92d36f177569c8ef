-- Health: the cron run's record, and the schedule that triggers it on Supabase.

-- One row per cron run (or recorded request): the aggregate status, every check, breaker stats.
create function public.record_health_check(source text, status text, checks jsonb, breakers jsonb)
returns bigint
language sql
as $$
  insert into public.health_checks (source, status, checks, breakers)
  values (record_health_check.source, record_health_check.status,
          record_health_check.checks, record_health_check.breakers)
  returning id
$$;
revoke execute on function public.record_health_check(text, text, jsonb, jsonb) from public, anon, authenticated;
grant execute on function public.record_health_check(text, text, jsonb, jsonb) to service_role;

-- Every minute, pg_cron has pg_net call the deployed health function's cron route. The URL and
-- the CRON_SECRET come from Vault, read at each run, so no host is written here. For the
-- Supabase Edge Function `health` the route is /functions/v1/health (the function) + /health/cron:
--   select vault.create_secret('https://<project-ref>.supabase.co/functions/v1/health/health/cron', 'breakwater_health_cron_url');
--   select vault.create_secret('<CRON_SECRET>', 'breakwater_cron_secret');
-- A database without pg_cron, pg_net and Vault (plain PostgreSQL in local tests) skips this.
do $migration$
begin
  if (select count(*) from pg_available_extensions
      where name in ('pg_cron', 'pg_net', 'supabase_vault')) < 3 then
    raise notice 'pg_cron, pg_net or supabase_vault unavailable: health cron not scheduled';
    return;
  end if;
  create extension if not exists pg_cron;
  create extension if not exists pg_net with schema extensions;
  perform cron.schedule('breakwater-health', '* * * * *', $job$
    select net.http_get(
      url := (select decrypted_secret from vault.decrypted_secrets
              where name = 'breakwater_health_cron_url'),
      headers := jsonb_build_object('Authorization', 'Bearer ' ||
        (select decrypted_secret from vault.decrypted_secrets where name = 'breakwater_cron_secret')),
      timeout_milliseconds := 10000)
    where exists (select 1 from vault.decrypted_secrets where name = 'breakwater_health_cron_url')
  $job$);
end
$migration$;
