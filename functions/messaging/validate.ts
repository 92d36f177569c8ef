import { AppError } from "../../shared/http/errors.ts";
import { invalidParam, objectOf } from "../../shared/http/fields.ts";
import { countryOf } from "./countries.ts";

const E164 = /^\+[1-9]\d{6,14}$/;
const CODE = /^\d{6}$/;

type Body = Record<string, unknown>;

function phone(body: Body, name: string): string {
  const value = body[name];
  if (typeof value !== "string" || !E164.test(value)) {
    throw invalidParam(
      name,
      `\`${name}\` must be a phone number in E.164 format, e.g. +15005550006`,
    );
  }
  return value;
}

/** POST /messages/sms: `to` in E.164, `body` of 1 to 1600 characters. */
export function smsRequest(value: unknown): { to: string; body: string } {
  const body = objectOf(value, ["to", "body"]);
  const text = body.body;
  const length = typeof text === "string" ? [...text].length : 0;
  if (typeof text !== "string" || length < 1 || length > 1600) {
    throw invalidParam("body", "`body` must be a string of 1 to 1600 characters");
  }
  return { to: phone(body, "to"), body: text };
}

/** POST /verify/start: `phone` in E.164, in one of `countries` when they are restricted. */
export function startRequest(
  value: unknown,
  countries: ReadonlySet<string> | undefined,
): { phone: string } {
  const number = phone(objectOf(value, ["phone"]), "phone");
  const country = countryOf(number);
  if (countries && !(country && countries.has(country))) {
    throw new AppError({
      status: 400,
      code: "country_not_allowed",
      category: "validation",
      message: "Verification codes are not sent to this country",
      details: { param: "phone", country: country ?? null },
    });
  }
  return { phone: number };
}

/** POST /verify/check: `phone` and a 6-digit `code` (a malformed code takes no attempt). */
export function checkRequest(value: unknown): { phone: string; code: string } {
  const body = objectOf(value, ["phone", "code"]);
  const number = phone(body, "phone");
  if (typeof body.code !== "string" || !CODE.test(body.code)) {
    throw invalidParam("code", "`code` must be the 6 digits that were sent");
  }
  return { phone: number, code: body.code };
}
