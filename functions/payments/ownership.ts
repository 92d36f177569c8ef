import type { Caller } from "../../shared/auth/caller.ts";
import { AppError } from "../../shared/http/errors.ts";
import { type StripeCreate, type StripeOptions, retrieveCustomer } from "./stripe.ts";

/**
 * Refuses a user naming a Stripe customer that is not theirs, before anything is created for it.
 * A customer is a user's when its `metadata.user_id` is the user's id: every customer a user
 * creates here carries it, and a service may create one for a user with it. Stripe is asked
 * (`GET /v1/customers/{id}`) rather than anything kept here, so a deleted customer is refused at
 * once. Services may name any customer: they act for the whole account.
 */
export async function requireOwnCustomer(
  stripe: StripeOptions,
  caller: Caller,
  customerId: string,
  call: Pick<StripeCreate, "signal" | "defer">,
): Promise<void> {
  if (caller.kind !== "user") return;
  const customer = await retrieveCustomer(stripe, customerId, call);
  if (customer && !customer.deleted && customer.metadata?.user_id === caller.id) return;
  // 404, not 403, and the same answer whether the customer is another user's, a service's,
  // deleted or unknown to Stripe: a 403 for the ones that exist would tell a user which ids
  // belong to somebody else; to this user, none of them is a customer.
  throw new AppError({
    status: 404,
    code: "customer_not_found",
    category: "not_found",
    message: `No such customer of this user: '${customerId}'`,
    details: { param: "customer" },
  });
}
