import { invalidParam, objectOf } from "../../shared/http/fields.ts";

// Checked before any call to Stripe, with Stripe's own limits, so a bad field is our clear 400
// naming it rather than a round trip and Stripe's error.

type Body = Record<string, unknown>;

/** An optional string field: 1 to `max` characters, in `format` (a pattern and how to say it). */
function text(
  body: Body,
  name: string,
  max: number,
  format?: { pattern: RegExp; says: string },
): string | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.length === 0 || value.length > max) {
    throw invalidParam(name, `\`${name}\` must be a string of 1 to ${max} characters`);
  }
  if (format && !format.pattern.test(value))
    throw invalidParam(name, `\`${name}\` must be ${format.says}`);
  return value;
}

function required<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw invalidParam(name, `\`${name}\` is required`);
  return value;
}

/** Stripe's metadata limits: 50 keys, keys up to 40 characters without brackets, values up to 500. */
function metadata(body: Body): Record<string, string> | undefined {
  const value = body.metadata;
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalidParam("metadata", "`metadata` must be an object of strings");
  }
  const entries = Object.entries(value);
  if (entries.length > 50) throw invalidParam("metadata", "`metadata` has at most 50 keys");
  for (const [key, item] of entries) {
    if (key.length === 0 || key.length > 40 || /[[\]]/.test(key)) {
      throw invalidParam(
        "metadata",
        "`metadata` keys are 1 to 40 characters, without square brackets",
      );
    }
    if (typeof item !== "string" || item.length > 500) {
      throw invalidParam(
        `metadata.${key}`,
        "`metadata` values are strings of at most 500 characters",
      );
    }
  }
  return value as Record<string, string>;
}

const EMAIL = { pattern: /^[^\s@]+@[^\s@]+$/, says: "an email address" };
const CUSTOMER = { pattern: /^cus_\w+$/, says: "a Stripe customer id (cus_…)" };
const PRICE = { pattern: /^price_\w+$/, says: "a Stripe price id (price_…)" };
const CURRENCY = { pattern: /^[a-z]{3}$/, says: "a three-letter lowercase ISO currency code" };
/** Stripe's largest amount (eight digits of minor units). */
const MAX_AMOUNT = 99_999_999;

export interface CustomerRequest {
  email: string;
  name?: string | undefined;
  metadata?: Record<string, string> | undefined;
}

export function customerRequest(value: unknown): CustomerRequest {
  const body = objectOf(value, ["email", "name", "metadata"]);
  return {
    email: required(text(body, "email", 512, EMAIL), "email"),
    name: text(body, "name", 256),
    metadata: metadata(body),
  };
}

export interface IntentRequest {
  amount: number;
  currency: string;
  customer?: string | undefined;
  description?: string | undefined;
  metadata?: Record<string, string> | undefined;
}

export function intentRequest(value: unknown): IntentRequest {
  const body = objectOf(value, ["amount", "currency", "customer", "description", "metadata"]);
  const amount = required(body.amount, "amount");
  if (!Number.isSafeInteger(amount) || (amount as number) < 1 || (amount as number) > MAX_AMOUNT) {
    throw invalidParam(
      "amount",
      `\`amount\` must be a positive integer of minor units, at most ${MAX_AMOUNT}`,
    );
  }
  return {
    amount: amount as number,
    currency: required(text(body, "currency", 3, CURRENCY), "currency"),
    customer: text(body, "customer", 255, CUSTOMER),
    description: text(body, "description", 1000),
    metadata: metadata(body),
  };
}

export interface SubscriptionRequest {
  customer: string;
  price: string;
}

export function subscriptionRequest(value: unknown): SubscriptionRequest {
  const body = objectOf(value, ["customer", "price"]);
  return {
    customer: required(text(body, "customer", 255, CUSTOMER), "customer"),
    price: required(text(body, "price", 255, PRICE), "price"),
  };
}
