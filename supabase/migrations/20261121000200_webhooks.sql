-- Webhooks: the SQL functions that record a Stripe or Twilio delivery and apply its effect.
--
-- Each public entry point (stripe_apply_event, twilio_inbound_message, twilio_status_callback) is
-- called once per delivery with `supabase.rpc()`, i.e. in one transaction: the webhook_events row
-- (unique on provider + event id) and the effect commit together or not at all. A repeat of an
-- event already recorded changes nothing and answers `duplicate: true`; a parallel repeat waits on
-- the unique index until the first one commits (then it is a duplicate) or rolls back (then it
-- applies the effect itself). That is the whole exactly-once mechanism: Redis claims in front of
-- it are an optimisation, never the authority.
--
-- Deliveries arrive out of order, so every object row remembers the event that last wrote it
-- (last_event_id, last_event_at = the event's `created`) and is only ever changed by a conditional
-- upsert (`insert … on conflict do update … where <the event is not older>`). ON CONFLICT locks
-- the row and evaluates that condition against its latest committed version, so two events for
-- the same object racing in parallel end in the same state whatever order they commit in.
--
-- Errors the callers can rely on: malformed input raises SQLSTATE 22023 (invalid_parameter_value,
-- which PostgREST answers with 400), always before anything is written. Anything else (40001,
-- 40P01, a lost connection…) is transient: the transaction rolled back and the delivery can be
-- retried as it is.

-- The invoices `invoice.paid` and `invoice.payment_failed` report (one row per Stripe invoice).
create table public.invoices (
  id text primary key, -- Stripe Invoice id
  customer_id text,
  subscription_id text,
  -- paid | failed; `paid` is terminal: a late payment_failed never takes it back.
  status text not null check (status in ('paid', 'failed')),
  amount_paid bigint,
  currency text,
  -- The event that last wrote this row, so a stale delivery never overwrites newer state.
  last_event_id text not null,
  last_event_at timestamptz not null,
  updated_at timestamptz not null default now()
);
create index invoices_subscription on public.invoices (subscription_id);

alter table public.invoices enable row level security;
revoke all on table public.invoices from public, anon, authenticated;
grant select, insert, update, delete on table public.invoices to service_role;

-- The type of the event that last wrote a subscription: it breaks ties between two events of the
-- same second and the same status (a `created` never undoes an `updated` of the same second).
alter table public.subscriptions add column last_event_type text;

-- Twilio's I-Twilio-Idempotency-Token of the delivery that was recorded, for tracing its retries
-- (Twilio resends the same token). Deduplication does not use it: the key is the MessageSid, or
-- (MessageSid, MessageStatus) for status callbacks, which also catches a replay with a new token.
alter table public.webhook_events add column idempotency_token text;

-- ---------------------------------------------------------------------------------------------
-- Helpers. Immutable, side-effect free; executable by the service role like every function here.
-- ---------------------------------------------------------------------------------------------

-- The id of a Stripe reference: webhooks send ids as strings, but an expanded reference is the
-- object itself, whose id we take. Anything else is no reference.
create function public.stripe_ref(ref jsonb) returns text
language sql immutable
as $$
  select case jsonb_typeof(ref)
    when 'string' then nullif(ref #>> '{}', '')
    when 'object' then nullif(ref ->> 'id', '')
  end
$$;

-- A JSON integer (Stripe amounts and Unix timestamps) as bigint; null when absent or JSON null.
-- Anything else is malformed input (22023), not a 500 from a failed cast.
create function public.stripe_int(value jsonb, field text) returns bigint
language plpgsql immutable
as $$
begin
  if value is null or jsonb_typeof(value) = 'null' then
    return null;
  end if;
  if jsonb_typeof(value) <> 'number' or value::text !~ '^-?[0-9]+$' then
    raise exception 'stripe event: % must be an integer, got %', field, value
      using errcode = '22023';
  end if;
  return value::text::bigint;
end
$$;

-- Tie-break ranks for two Stripe events with the same `created` second (Stripe event ids are not
-- ordered, and `created` has one-second resolution). At a tie the event whose status is at least
-- as far along the object's lifecycle wins, so a later stage beats an earlier one whatever order
-- they arrive in, and a replay of the same stage is harmless. Unknown statuses rank 0.

-- payments: processing < failed < succeeded = canceled (both terminal).
create function public.stripe_payment_status_rank(status text) returns smallint
language sql immutable
as $$
  select case status
    when 'processing' then 1
    when 'failed' then 2
    when 'succeeded' then 3
    when 'canceled' then 3
    else 0
  end::smallint
$$;

-- subscriptions: incomplete < trialing < active < past_due = paused < unpaid
--   < canceled = incomplete_expired (both terminal).
create function public.stripe_subscription_status_rank(status text) returns smallint
language sql immutable
as $$
  select case status
    when 'incomplete' then 1
    when 'trialing' then 2
    when 'active' then 3
    when 'past_due' then 4
    when 'paused' then 4
    when 'unpaid' then 5
    when 'canceled' then 9
    when 'incomplete_expired' then 9
    else 0
  end::smallint
$$;

-- subscriptions, second tie-break (same second, same status rank): the event type's stage,
-- customer.subscription.created < .updated < .deleted.
create function public.stripe_subscription_event_rank(event_type text) returns smallint
language sql immutable
as $$
  select case event_type
    when 'customer.subscription.created' then 1
    when 'customer.subscription.updated' then 2
    when 'customer.subscription.deleted' then 3
    else 0
  end::smallint
$$;

-- invoices: failed < paid (terminal).
create function public.stripe_invoice_status_rank(status text) returns smallint
language sql immutable
as $$
  select case status when 'failed' then 1 when 'paid' then 2 else 0 end::smallint
$$;

-- The one definition of Twilio message status ranks (stored in sms_messages.status_rank). A
-- status is applied only when its rank is higher than the stored one, so a late or retried
-- lower-rank callback never moves a message backwards:
--   0  unknown or not yet known
--   1  accepted, scheduled, queued (outbound, before sending); receiving (inbound)
--   2  sending
--   3  sent
--   4  delivered, undelivered, failed, canceled, partially_delivered; received (inbound):
--      terminal, the first one recorded stays
--   5  read, which may only follow `delivered` (or a message of unknown status)
create function public.sms_status_rank(status text) returns smallint
language sql immutable
as $$
  select case status
    when 'accepted' then 1
    when 'scheduled' then 1
    when 'queued' then 1
    when 'receiving' then 1
    when 'sending' then 2
    when 'sent' then 3
    when 'delivered' then 4
    when 'undelivered' then 4
    when 'failed' then 4
    when 'canceled' then 4
    when 'partially_delivered' then 4
    when 'received' then 4
    when 'read' then 5
    else 0
  end::smallint
$$;

-- Whether a message whose stored status is (old_status, old_rank) moves to new_status: only
-- forwards, never out of a terminal state, except delivered → read.
create function public.sms_status_advances(old_status text, old_rank smallint, new_status text)
returns boolean
language sql immutable
as $$
  select public.sms_status_rank(new_status) > coalesce(old_rank, 0)
    and (coalesce(old_rank, 0) < 4 or (old_status = 'delivered' and new_status = 'read'))
$$;

-- ---------------------------------------------------------------------------------------------
-- Stripe
-- ---------------------------------------------------------------------------------------------

-- Records one verified Stripe event and applies its effect, exactly once.
--   event     the event as Stripe sent it (the parsed body)
--   livemode  the mode this endpoint is configured for; an event of the other mode is recorded
--             as `ignored` and has no effect
-- Returns {"duplicate": true, "outcome": <the outcome recorded the first time>} for an event id
-- already recorded, else {"duplicate": false, "outcome": "applied" | "ignored" | "stale"}:
-- ignored = a type (or mode, or payload variant) without an effect; stale = the stored state is
-- newer, so nothing changed.
--
-- Effects and ordering (see the header): an event older than the one that last wrote a row never
-- changes it; at the same `created` second the status ranks above break the tie (>=: the later
-- stage wins, an equal stage re-applies harmlessly; subscriptions then compare event type).
-- Terminal states: a payment `succeeded` or `canceled` keeps its status (a later refund still
-- raises amount_refunded); a subscription `canceled` (or `incomplete_expired`) is never revived;
-- an invoice `paid` never goes back to `failed`.
create function public.stripe_apply_event(event jsonb, livemode boolean) returns jsonb
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_event_id text;
  v_type text;
  v_created timestamptz;
  v_object jsonb;
  v_outcome text := 'ignored';
  v_stored_outcome text;
  v_row_id bigint;
  v_changed boolean;
  -- The payment effect shared by payment_intent.* and checkout.session.*.
  v_pay_id text;
  v_pay_status text;
  v_pay_amount bigint;
  v_pay_currency text;
  v_pay_customer text;
  v_refunded bigint;
  v_sub_status text;
  v_period_end bigint;
begin
  -- Validate everything the record needs before writing anything.
  if event is null or jsonb_typeof(event) <> 'object' then
    raise exception 'stripe_apply_event: event must be a JSON object' using errcode = '22023';
  end if;
  if stripe_apply_event.livemode is null then
    raise exception 'stripe_apply_event: livemode (the endpoint''s mode) is required'
      using errcode = '22023';
  end if;
  v_event_id := case when jsonb_typeof(event -> 'id') = 'string' then event ->> 'id' end;
  if coalesce(v_event_id, '') = '' then
    raise exception 'stripe_apply_event: event.id must be a non-empty string'
      using errcode = '22023';
  end if;
  v_type := case when jsonb_typeof(event -> 'type') = 'string' then event ->> 'type' end;
  if coalesce(v_type, '') = '' then
    raise exception 'stripe_apply_event: event.type must be a non-empty string (event %)',
      v_event_id using errcode = '22023';
  end if;
  if jsonb_typeof(event -> 'created') is distinct from 'number'
     or (event ->> 'created') !~ '^[0-9]+$' then
    raise exception 'stripe_apply_event: event.created must be a Unix timestamp (event %)',
      v_event_id using errcode = '22023';
  end if;
  v_created := to_timestamp((event ->> 'created')::bigint);
  if jsonb_typeof(event -> 'livemode') is distinct from 'boolean' then
    raise exception 'stripe_apply_event: event.livemode must be a boolean (event %)',
      v_event_id using errcode = '22023';
  end if;

  -- Claim the event id. A concurrent delivery of the same id blocks here until the first
  -- transaction ends; `applied` is provisional and corrected below, in the same transaction.
  insert into public.webhook_events
    (provider, event_id, event_type, livemode, occurred_at, payload, outcome)
  values
    ('stripe', v_event_id, v_type, (event ->> 'livemode')::boolean, v_created, event, 'applied')
  on conflict (provider, event_id) do nothing
  returning id into v_row_id;

  if v_row_id is null then
    select w.outcome into v_stored_outcome
    from public.webhook_events w
    where w.provider = 'stripe' and w.event_id = v_event_id;
    return jsonb_build_object('duplicate', true, 'outcome', v_stored_outcome);
  end if;

  v_object := event #> '{data,object}';

  if (event ->> 'livemode')::boolean <> stripe_apply_event.livemode then
    -- A test-mode event at a live endpoint (or the reverse): recorded, never applied.
    v_outcome := 'ignored';

  elsif v_type in ('payment_intent.succeeded', 'payment_intent.payment_failed',
                   'payment_intent.canceled', 'payment_intent.processing') then
    v_pay_id := public.stripe_ref(v_object -> 'id');
    v_pay_status := case v_type
      when 'payment_intent.succeeded' then 'succeeded'
      when 'payment_intent.payment_failed' then 'failed'
      when 'payment_intent.canceled' then 'canceled'
      else 'processing'
    end;
    v_pay_amount := public.stripe_int(v_object -> 'amount', 'data.object.amount');
    v_pay_currency := v_object ->> 'currency';
    v_pay_customer := public.stripe_ref(v_object -> 'customer');
    if v_pay_id is null then
      raise exception 'stripe_apply_event: % event % has no data.object.id', v_type, v_event_id
        using errcode = '22023';
    end if;

  elsif v_type in ('checkout.session.completed', 'checkout.session.async_payment_succeeded') then
    -- Only a paid one-off payment has a payment effect. Subscription-mode sessions (no
    -- payment_intent) are handled by the subscription and invoice events; an unpaid session
    -- (delayed payment method) is followed by async_payment_succeeded, handled alike.
    if v_object ->> 'payment_status' = 'paid'
       and public.stripe_ref(v_object -> 'payment_intent') is not null then
      v_pay_id := public.stripe_ref(v_object -> 'payment_intent');
      v_pay_status := 'succeeded';
      v_pay_amount := public.stripe_int(v_object -> 'amount_total', 'data.object.amount_total');
      v_pay_currency := v_object ->> 'currency';
      v_pay_customer := public.stripe_ref(v_object -> 'customer');
    end if;

  elsif v_type = 'charge.refunded' then
    v_pay_id := public.stripe_ref(v_object -> 'payment_intent');
    v_refunded := public.stripe_int(v_object -> 'amount_refunded', 'data.object.amount_refunded');
    -- No PaymentIntent (a legacy Charges API charge) or an uncaptured authorization released by
    -- a cancellation (`captured: false`; no money moved, payment_intent.canceled carries that):
    -- no refund effect.
    if v_pay_id is not null and v_refunded is not null
       and (v_object -> 'captured') is distinct from 'false'::jsonb then
      -- amount_refunded is cumulative on the charge, so keeping the maximum makes refunds
      -- order-independent. A refund proves the payment succeeded: a missing row is created as
      -- succeeded, and a non-terminal one becomes succeeded (unless a newer event wrote it).
      insert into public.payments as p
        (id, customer_id, amount, amount_refunded, currency, status, last_event_id, last_event_at)
      values
        (v_pay_id, public.stripe_ref(v_object -> 'customer'),
         public.stripe_int(v_object -> 'amount', 'data.object.amount'), v_refunded,
         v_object ->> 'currency', 'succeeded', v_event_id, v_created)
      on conflict (id) do update set
        amount_refunded = greatest(p.amount_refunded, excluded.amount_refunded),
        status = case
          when p.status not in ('succeeded', 'canceled')
               and excluded.last_event_at >= p.last_event_at then 'succeeded'
          else p.status
        end,
        customer_id = coalesce(p.customer_id, excluded.customer_id),
        amount = coalesce(p.amount, excluded.amount),
        currency = coalesce(p.currency, excluded.currency),
        last_event_id = case
          when excluded.last_event_at >= p.last_event_at then excluded.last_event_id
          else p.last_event_id
        end,
        last_event_at = greatest(p.last_event_at, excluded.last_event_at),
        updated_at = now()
      where excluded.amount_refunded > p.amount_refunded
         or (p.status not in ('succeeded', 'canceled')
             and excluded.last_event_at >= p.last_event_at)
      returning true into v_changed;
      v_outcome := case when v_changed then 'applied' else 'stale' end;
    end if;

  elsif v_type in ('customer.subscription.created', 'customer.subscription.updated',
                   'customer.subscription.deleted') then
    if public.stripe_ref(v_object -> 'id') is null then
      raise exception 'stripe_apply_event: % event % has no data.object.id', v_type, v_event_id
        using errcode = '22023';
    end if;
    v_sub_status := case
      when v_type = 'customer.subscription.deleted' then 'canceled'
      else v_object ->> 'status'
    end;
    if v_sub_status is null then
      raise exception 'stripe_apply_event: % event % has no data.object.status', v_type,
        v_event_id using errcode = '22023';
    end if;
    -- Until API version 2025-03-31.basil the period was on the subscription; since then it is
    -- on each item.
    v_period_end := coalesce(
      public.stripe_int(v_object -> 'current_period_end', 'data.object.current_period_end'),
      public.stripe_int(v_object #> '{items,data,0,current_period_end}',
                        'data.object.items.data[0].current_period_end'));
    insert into public.subscriptions as s
      (id, customer_id, status, price_id, current_period_end, cancel_at_period_end,
       last_event_id, last_event_at, last_event_type)
    values
      (v_object ->> 'id', public.stripe_ref(v_object -> 'customer'), v_sub_status,
       public.stripe_ref(v_object #> '{items,data,0,price}'),
       to_timestamp(v_period_end),
       coalesce((v_object -> 'cancel_at_period_end') = 'true'::jsonb, false),
       v_event_id, v_created, v_type)
    on conflict (id) do update set
      customer_id = coalesce(excluded.customer_id, s.customer_id),
      status = excluded.status,
      price_id = coalesce(excluded.price_id, s.price_id),
      current_period_end = coalesce(excluded.current_period_end, s.current_period_end),
      cancel_at_period_end = excluded.cancel_at_period_end,
      last_event_id = excluded.last_event_id,
      last_event_at = excluded.last_event_at,
      last_event_type = excluded.last_event_type,
      updated_at = now()
    where s.status not in ('canceled', 'incomplete_expired')
      and (excluded.last_event_at,
           public.stripe_subscription_status_rank(excluded.status),
           public.stripe_subscription_event_rank(excluded.last_event_type))
       >= (s.last_event_at,
           public.stripe_subscription_status_rank(s.status),
           public.stripe_subscription_event_rank(s.last_event_type))
    returning true into v_changed;
    v_outcome := case when v_changed then 'applied' else 'stale' end;

  elsif v_type in ('invoice.paid', 'invoice.payment_failed') then
    if public.stripe_ref(v_object -> 'id') is null then
      raise exception 'stripe_apply_event: % event % has no data.object.id', v_type, v_event_id
        using errcode = '22023';
    end if;
    insert into public.invoices as i
      (id, customer_id, subscription_id, status, amount_paid, currency,
       last_event_id, last_event_at)
    values
      (v_object ->> 'id', public.stripe_ref(v_object -> 'customer'),
       -- Since 2025-03-31.basil the subscription is under parent.subscription_details.
       coalesce(public.stripe_ref(v_object -> 'subscription'),
                public.stripe_ref(v_object #> '{parent,subscription_details,subscription}')),
       case v_type when 'invoice.paid' then 'paid' else 'failed' end,
       public.stripe_int(v_object -> 'amount_paid', 'data.object.amount_paid'),
       v_object ->> 'currency', v_event_id, v_created)
    on conflict (id) do update set
      customer_id = coalesce(excluded.customer_id, i.customer_id),
      subscription_id = coalesce(excluded.subscription_id, i.subscription_id),
      status = excluded.status,
      amount_paid = coalesce(excluded.amount_paid, i.amount_paid),
      currency = coalesce(excluded.currency, i.currency),
      last_event_id = excluded.last_event_id,
      last_event_at = excluded.last_event_at,
      updated_at = now()
    where i.status <> 'paid'
      and (excluded.last_event_at, public.stripe_invoice_status_rank(excluded.status))
       >= (i.last_event_at, public.stripe_invoice_status_rank(i.status))
    returning true into v_changed;
    v_outcome := case when v_changed then 'applied' else 'stale' end;
  end if;

  -- The payment effect of payment_intent.* and a paid checkout session.
  if v_pay_status is not null then
    insert into public.payments as p
      (id, customer_id, amount, currency, status, last_event_id, last_event_at)
    values
      (v_pay_id, v_pay_customer, v_pay_amount, v_pay_currency, v_pay_status, v_event_id,
       v_created)
    on conflict (id) do update set
      customer_id = coalesce(excluded.customer_id, p.customer_id),
      amount = coalesce(excluded.amount, p.amount),
      currency = coalesce(excluded.currency, p.currency),
      status = excluded.status,
      last_event_id = excluded.last_event_id,
      last_event_at = excluded.last_event_at,
      updated_at = now()
    where p.status not in ('succeeded', 'canceled')
      and (excluded.last_event_at, public.stripe_payment_status_rank(excluded.status))
       >= (p.last_event_at, public.stripe_payment_status_rank(p.status))
    returning true into v_changed;
    v_outcome := case when v_changed then 'applied' else 'stale' end;
  end if;

  if v_outcome <> 'applied' then
    update public.webhook_events set outcome = v_outcome where id = v_row_id;
  end if;
  return jsonb_build_object('duplicate', false, 'outcome', v_outcome);
end
$$;

-- ---------------------------------------------------------------------------------------------
-- Twilio
-- ---------------------------------------------------------------------------------------------

-- The MessageSid of Twilio form params, or 22023.
create function public.twilio_message_sid(params jsonb, caller text) returns text
language plpgsql immutable
as $$
begin
  if params is null or jsonb_typeof(params) <> 'object' then
    raise exception '%: the form params must be a JSON object', caller using errcode = '22023';
  end if;
  if jsonb_typeof(params -> 'MessageSid') is distinct from 'string'
     or params ->> 'MessageSid' = '' then
    raise exception '%: MessageSid must be a non-empty string', caller using errcode = '22023';
  end if;
  return params ->> 'MessageSid';
end
$$;

-- Records one inbound message (the form params of Twilio's incoming-message webhook), once per
-- MessageSid (webhook_events id 'message:<MessageSid>'). The idempotency token, when given, is
-- kept in webhook_events.idempotency_token for tracing only.
-- Returns {"duplicate": true} for a MessageSid already recorded, else {"duplicate": false}.
create function public.twilio_inbound_message(message jsonb, idempotency_token text)
returns jsonb
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_sid text := public.twilio_message_sid(message, 'twilio_inbound_message');
  v_status text := coalesce(nullif(message ->> 'SmsStatus', ''), 'received');
  v_row_id bigint;
begin
  insert into public.webhook_events
    (provider, event_id, event_type, payload, outcome, idempotency_token)
  values
    ('twilio', 'message:' || v_sid, 'message.inbound', message, 'applied',
     twilio_inbound_message.idempotency_token)
  on conflict (provider, event_id) do nothing
  returning id into v_row_id;
  if v_row_id is null then
    return jsonb_build_object('duplicate', true);
  end if;

  -- A row may exist already if a status callback for this sid came first (direction unknown):
  -- the inbound webhook then fills it in; its status still only moves forward.
  insert into public.sms_messages as m
    (message_sid, account_sid, direction, from_number, to_number, body, status, status_rank)
  values
    (v_sid, message ->> 'AccountSid', 'inbound', message ->> 'From', message ->> 'To',
     message ->> 'Body', v_status, public.sms_status_rank(v_status))
  on conflict (message_sid) do update set
    account_sid = coalesce(excluded.account_sid, m.account_sid),
    direction = case when m.direction = 'unknown' then 'inbound' else m.direction end,
    from_number = coalesce(excluded.from_number, m.from_number),
    to_number = coalesce(excluded.to_number, m.to_number),
    body = coalesce(excluded.body, m.body),
    status = case when public.sms_status_advances(m.status, m.status_rank, excluded.status)
                  then excluded.status else m.status end,
    status_rank = case when public.sms_status_advances(m.status, m.status_rank, excluded.status)
                       then excluded.status_rank else m.status_rank end,
    updated_at = now();
  return jsonb_build_object('duplicate', false);
end
$$;

-- Records one message status callback, once per (MessageSid, MessageStatus) (webhook_events id
-- 'status:<MessageSid>:<MessageStatus>'; Twilio's retries of a callback carry the same pair even
-- with a new idempotency token), and moves sms_messages.status forward by sms_status_rank. A
-- callback for a MessageSid we have no row for (it beat our own insert of the outbound message)
-- creates the row with direction 'unknown' rather than being dropped.
-- Returns {"duplicate": true, "outcome": <recorded outcome>} for a pair already recorded, else
-- {"duplicate": false, "outcome": "applied" | "stale"} (stale: the stored status is as far along
-- or terminal, nothing changed).
create function public.twilio_status_callback(callback jsonb, idempotency_token text)
returns jsonb
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_sid text := public.twilio_message_sid(callback, 'twilio_status_callback');
  v_status text := coalesce(nullif(callback ->> 'MessageStatus', ''),
                            nullif(callback ->> 'SmsStatus', ''));
  v_event_id text;
  v_row_id bigint;
  v_stored_outcome text;
  v_changed boolean;
begin
  if v_status is null then
    raise exception 'twilio_status_callback: MessageStatus must be a non-empty string (message %)',
      v_sid using errcode = '22023';
  end if;
  v_event_id := 'status:' || v_sid || ':' || v_status;

  insert into public.webhook_events
    (provider, event_id, event_type, payload, outcome, idempotency_token)
  values
    ('twilio', v_event_id, 'message.status', callback, 'applied',
     twilio_status_callback.idempotency_token)
  on conflict (provider, event_id) do nothing
  returning id into v_row_id;
  if v_row_id is null then
    select w.outcome into v_stored_outcome
    from public.webhook_events w
    where w.provider = 'twilio' and w.event_id = v_event_id;
    return jsonb_build_object('duplicate', true, 'outcome', v_stored_outcome);
  end if;

  insert into public.sms_messages as m
    (message_sid, account_sid, direction, from_number, to_number, status, status_rank,
     error_code)
  values
    (v_sid, callback ->> 'AccountSid', 'unknown', callback ->> 'From', callback ->> 'To',
     v_status, public.sms_status_rank(v_status), nullif(callback ->> 'ErrorCode', ''))
  on conflict (message_sid) do update set
    status = excluded.status,
    status_rank = excluded.status_rank,
    error_code = coalesce(excluded.error_code, m.error_code),
    account_sid = coalesce(m.account_sid, excluded.account_sid),
    from_number = coalesce(m.from_number, excluded.from_number),
    to_number = coalesce(m.to_number, excluded.to_number),
    updated_at = now()
  where public.sms_status_advances(m.status, m.status_rank, excluded.status)
  returning true into v_changed;

  if v_changed then
    return jsonb_build_object('duplicate', false, 'outcome', 'applied');
  end if;
  update public.webhook_events set outcome = 'stale' where id = v_row_id;
  return jsonb_build_object('duplicate', false, 'outcome', 'stale');
end
$$;

-- ---------------------------------------------------------------------------------------------
-- Privileges: the service role only, as for every function in this schema.
-- ---------------------------------------------------------------------------------------------
do $$
declare
  f regprocedure;
begin
  foreach f in array array[
    'public.stripe_ref(jsonb)',
    'public.stripe_int(jsonb, text)',
    'public.stripe_payment_status_rank(text)',
    'public.stripe_subscription_status_rank(text)',
    'public.stripe_subscription_event_rank(text)',
    'public.stripe_invoice_status_rank(text)',
    'public.sms_status_rank(text)',
    'public.sms_status_advances(text, smallint, text)',
    'public.stripe_apply_event(jsonb, boolean)',
    'public.twilio_message_sid(jsonb, text)',
    'public.twilio_inbound_message(jsonb, text)',
    'public.twilio_status_callback(jsonb, text)'
  ]::regprocedure[] loop
    execute format('revoke execute on function %s from public, anon, authenticated', f);
    execute format('grant execute on function %s to service_role', f);
  end loop;
end
$$;
