-- Outbound: the SQL functions that record what the `messaging` and `payments` functions created
-- (an SMS through Twilio, a PaymentIntent or a subscription through Stripe).
--
-- Each is called once, after the vendor answered, with `supabase.rpc()` (one transaction). The
-- vendor's webhooks for the same object may land before or after it, so these records follow the
-- ordering rules of 20261121000200_webhooks.sql and both sides converge on the same final state:
--   * an SMS status only moves up (sms_status_advances): the create's `queued` or `accepted`
--     never undoes a `delivered` callback that came first;
--   * a payment or subscription row changes status only for a write at least as new and as far
--     along: the create's answer is dated by the object's `created` second and ranks like an
--     event of that second with its status (PaymentIntent statuses before `processing` rank 0,
--     `incomplete` ranks 1), and its event type ranks below every webhook's, so a webhook of the
--     same second wins in either order; terminal states stay final. Whatever the order, the
--     create fills fields the webhooks left empty (the caller's user id among them).
-- Malformed input raises SQLSTATE 22023 before anything is written.

-- An outbound message whose fate is unknown (Twilio may or may not have taken it: a timeout or
-- a lost connection after sending) has no MessageSid. So rows get their own id, the one the
-- caller was given, and the MessageSid becomes a unique, optional column; the webhook functions'
-- `on conflict (message_sid)` keeps working on the unique constraint.
alter table public.sms_messages add column id uuid not null default gen_random_uuid();
alter table public.sms_messages drop constraint sms_messages_pkey;
alter table public.sms_messages add primary key (id);
alter table public.sms_messages alter column message_sid drop not null;
alter table public.sms_messages add constraint sms_messages_message_sid_key unique (message_sid);

-- The Supabase user (the token's `sub`) a payment or subscription was created for.
alter table public.payments add column user_id text;
alter table public.subscriptions add column user_id text;

-- A required text field of a JSON object, or 22023.
create function public.outbound_text(object jsonb, field text, caller text) returns text
language plpgsql immutable
as $$
begin
  if object is null or jsonb_typeof(object) <> 'object' then
    raise exception '%: expected a JSON object', caller using errcode = '22023';
  end if;
  if jsonb_typeof(object -> field) is distinct from 'string' or object ->> field = '' then
    raise exception '%: % must be a non-empty string', caller, field using errcode = '22023';
  end if;
  return object ->> field;
end
$$;

-- Records one message the messaging function sent (or tried to):
--   message  {"id": uuid, "sid": MessageSid or null, "status": Twilio's status, or `unknown`
--            when the send's fate is unknown, "to", "from", "messaging_service_sid", "body"
--            (null for verification codes: a code is never stored), "account_sid"}
-- With a sid, a status callback may have created the row already (direction `unknown`): it
-- becomes this outbound message (the caller's id, its body and numbers) and its status only
-- moves up. Without one, the row stands alone with status `unknown`. A repeat changes nothing.
-- Returns {"id": the row's id, "status": its status}.
create function public.sms_record_outbound(message jsonb) returns jsonb
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_id uuid;
  v_sid text;
  v_status text := public.outbound_text(message, 'status', 'sms_record_outbound');
  v_row public.sms_messages;
begin
  begin
    v_id := public.outbound_text(message, 'id', 'sms_record_outbound')::uuid;
  exception when invalid_text_representation then
    raise exception 'sms_record_outbound: id must be a UUID' using errcode = '22023';
  end;
  v_sid := case when jsonb_typeof(message -> 'sid') = 'string' then nullif(message ->> 'sid', '') end;
  if v_sid is null and v_status <> 'unknown' then
    raise exception 'sms_record_outbound: a message without a sid has status unknown'
      using errcode = '22023';
  end if;

  if v_sid is null then
    insert into public.sms_messages as m
      (id, account_sid, direction, from_number, to_number, body, status, status_rank)
    values
      (v_id, message ->> 'account_sid', 'outbound',
       coalesce(message ->> 'from', message ->> 'messaging_service_sid'), message ->> 'to',
       message ->> 'body', 'unknown', 0)
    on conflict (id) do nothing;
  else
    insert into public.sms_messages as m
      (id, message_sid, account_sid, direction, from_number, to_number, body, status,
       status_rank)
    values
      (v_id, v_sid, message ->> 'account_sid', 'outbound',
       coalesce(message ->> 'from', message ->> 'messaging_service_sid'), message ->> 'to',
       message ->> 'body', v_status, public.sms_status_rank(v_status))
    on conflict (message_sid) do update set
      id = case when m.direction = 'unknown' then excluded.id else m.id end,
      direction = 'outbound',
      account_sid = coalesce(m.account_sid, excluded.account_sid),
      from_number = coalesce(m.from_number, excluded.from_number),
      to_number = coalesce(m.to_number, excluded.to_number),
      body = coalesce(m.body, excluded.body),
      status = case when public.sms_status_advances(m.status, m.status_rank, excluded.status)
                    then excluded.status else m.status end,
      status_rank = case when public.sms_status_advances(m.status, m.status_rank, excluded.status)
                         then excluded.status_rank else m.status_rank end,
      updated_at = now();
  end if;
  select * into v_row from public.sms_messages m
  where m.id = v_id or (v_sid is not null and m.message_sid = v_sid)
  limit 1;
  return jsonb_build_object('id', v_row.id, 'status', v_row.status);
end
$$;

-- The `created` second of a Stripe object, or 22023.
create function public.stripe_created(object jsonb, caller text) returns timestamptz
language plpgsql immutable
as $$
begin
  if jsonb_typeof(object -> 'created') is distinct from 'number'
     or (object ->> 'created') !~ '^[0-9]+$' then
    raise exception '%: created must be a Unix timestamp', caller using errcode = '22023';
  end if;
  return to_timestamp((object ->> 'created')::bigint);
end
$$;

-- Records a PaymentIntent as POST /v1/payment_intents returned it, for `user_id` (or null).
-- Returns {"outcome": "applied"} when its status was written, "stale" when a webhook's newer or
-- further state stays (the fields it lacked are filled in either way).
create function public.stripe_record_payment_intent(object jsonb, user_id text) returns jsonb
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_id text := public.outbound_text(object, 'id', 'stripe_record_payment_intent');
  v_status text := public.outbound_text(object, 'status', 'stripe_record_payment_intent');
  v_created timestamptz := public.stripe_created(object, 'stripe_record_payment_intent');
  v_amount bigint := public.stripe_int(object -> 'amount', 'amount');
  v_stored public.payments;
  v_newer boolean;
begin
  insert into public.payments
    (id, customer_id, amount, currency, status, user_id, last_event_id, last_event_at)
  values
    (v_id, public.stripe_ref(object -> 'customer'), v_amount, object ->> 'currency', v_status,
     stripe_record_payment_intent.user_id, 'create:' || v_id, v_created)
  on conflict (id) do nothing;
  if found then
    return jsonb_build_object('outcome', 'applied');
  end if;

  -- A webhook wrote the row first: the same rule as stripe_apply_event's, on the locked row.
  select * into v_stored from public.payments p where p.id = v_id for update;
  v_newer := v_stored.status not in ('succeeded', 'canceled')
    and (v_created, public.stripe_payment_status_rank(v_status))
     >= (v_stored.last_event_at, public.stripe_payment_status_rank(v_stored.status));
  update public.payments p set
    customer_id = coalesce(p.customer_id, public.stripe_ref(object -> 'customer')),
    amount = coalesce(p.amount, v_amount),
    currency = coalesce(p.currency, object ->> 'currency'),
    user_id = coalesce(p.user_id, stripe_record_payment_intent.user_id),
    status = case when v_newer then v_status else p.status end,
    last_event_id = case when v_newer then 'create:' || v_id else p.last_event_id end,
    last_event_at = case when v_newer then v_created else p.last_event_at end,
    updated_at = now()
  where p.id = v_id;
  return jsonb_build_object('outcome', case when v_newer then 'applied' else 'stale' end);
end
$$;

-- Records a subscription as POST /v1/subscriptions returned it, for `user_id` (or null).
-- Returns {"outcome": "applied" | "stale"} as above; a canceled subscription is never revived.
create function public.stripe_record_subscription(object jsonb, user_id text) returns jsonb
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_id text := public.outbound_text(object, 'id', 'stripe_record_subscription');
  v_status text := public.outbound_text(object, 'status', 'stripe_record_subscription');
  v_created timestamptz := public.stripe_created(object, 'stripe_record_subscription');
  v_customer text := public.stripe_ref(object -> 'customer');
  v_price text := public.stripe_ref(object #> '{items,data,0,price}');
  v_period_end timestamptz := to_timestamp(public.stripe_int(
    object #> '{items,data,0,current_period_end}', 'items.data[0].current_period_end'));
  v_stored public.subscriptions;
  v_newer boolean;
begin
  insert into public.subscriptions
    (id, customer_id, status, price_id, current_period_end, cancel_at_period_end, user_id,
     last_event_id, last_event_at, last_event_type)
  values
    (v_id, v_customer, v_status, v_price, v_period_end,
     coalesce((object -> 'cancel_at_period_end') = 'true'::jsonb, false),
     stripe_record_subscription.user_id, 'create:' || v_id, v_created, 'api.create')
  on conflict (id) do nothing;
  if found then
    return jsonb_build_object('outcome', 'applied');
  end if;

  select * into v_stored from public.subscriptions s where s.id = v_id for update;
  -- `api.create` ranks 0 among event types: a webhook of the same second and status wins.
  v_newer := v_stored.status not in ('canceled', 'incomplete_expired')
    and (v_created, public.stripe_subscription_status_rank(v_status),
         public.stripe_subscription_event_rank('api.create'))
     >= (v_stored.last_event_at, public.stripe_subscription_status_rank(v_stored.status),
         public.stripe_subscription_event_rank(v_stored.last_event_type));
  update public.subscriptions s set
    customer_id = coalesce(s.customer_id, v_customer),
    price_id = coalesce(s.price_id, v_price),
    current_period_end = coalesce(s.current_period_end, v_period_end),
    user_id = coalesce(s.user_id, stripe_record_subscription.user_id),
    status = case when v_newer then v_status else s.status end,
    last_event_id = case when v_newer then 'create:' || v_id else s.last_event_id end,
    last_event_at = case when v_newer then v_created else s.last_event_at end,
    last_event_type = case when v_newer then 'api.create' else s.last_event_type end,
    updated_at = now()
  where s.id = v_id;
  return jsonb_build_object('outcome', case when v_newer then 'applied' else 'stale' end);
end
$$;

do $$
declare
  f regprocedure;
begin
  foreach f in array array[
    'public.outbound_text(jsonb, text, text)',
    'public.sms_record_outbound(jsonb)',
    'public.stripe_created(jsonb, text)',
    'public.stripe_record_payment_intent(jsonb, text)',
    'public.stripe_record_subscription(jsonb, text)'
  ]::regprocedure[] loop
    execute format('revoke execute on function %s from public, anon, authenticated', f);
    execute format('grant execute on function %s to service_role', f);
  end loop;
end
$$;
