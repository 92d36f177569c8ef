// A fake of Twilio's Messages API (POST /2010-04-01/Accounts/{AccountSid}/Messages.json), speaking
// its wire format: form-encoded parameters, Basic auth with the account SID and auth token or an
// API key SID and secret, errors as {"code","message","more_info","status"} with Twilio's error
// codes. Every accepted message is kept, so a test can count sends and read a body (a code).
import { type JsonAnswer, type MockServer, type RecordedCall, startMock } from "./harness.ts";
import { basicAuth, vendorId } from "./wire.ts";

export const TWILIO_FAKE_ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef";
export const TWILIO_FAKE_AUTH_TOKEN = "fake-twilio-auth-token-0123456789";
export const TWILIO_FAKE_API_KEY = "SK0123456789abcdef0123456789abcdef";
export const TWILIO_FAKE_API_SECRET = "fake-twilio-api-secret-0123456789";

/** A message as the fake accepted it (Twilio's Message resource, the fields that matter). */
export interface FakeMessage {
  sid: string;
  to: string;
  from: string | null;
  messaging_service_sid: string | null;
  body: string;
  status: string;
  status_callback: string | null;
}

export interface TwilioFake extends MockServer {
  messages(): FakeMessage[];
}

const E164 = /^\+[1-9]\d{6,14}$/;

function twilioError(status: number, code: number, message: string): JsonAnswer {
  return {
    status,
    json: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status },
  };
}

const ERRORS: Record<number, [number, string]> = {
  429: [20429, "Too Many Requests"],
  500: [20500, "Internal Server Error"],
  503: [20503, "Service Unavailable"],
};

/** Starts the fake on a free loopback port; `url` is what TWILIO_API_BASE_URL gets. */
export async function startTwilioFake(options: { port?: number } = {}): Promise<TwilioFake> {
  const accepted: FakeMessage[] = [];
  const handle = (request: RecordedCall): JsonAnswer => {
    const credentials = basicAuth(request.headers.authorization);
    const authorized =
      (credentials?.user === TWILIO_FAKE_ACCOUNT_SID &&
        credentials.password === TWILIO_FAKE_AUTH_TOKEN) ||
      (credentials?.user === TWILIO_FAKE_API_KEY &&
        credentials.password === TWILIO_FAKE_API_SECRET);
    if (!authorized) return twilioError(401, 20003, "Authenticate");
    const match = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(request.path);
    if (request.method !== "POST" || !match) {
      return twilioError(404, 20404, `The requested resource ${request.path} was not found`);
    }
    if (match[1] !== TWILIO_FAKE_ACCOUNT_SID) return twilioError(401, 20003, "Authenticate");
    if (!(request.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")) {
      return twilioError(
        400,
        20001,
        "Unable to parse the request: parameters must be form-encoded",
      );
    }
    const form = new URLSearchParams(request.text);
    const to = form.get("To") ?? "";
    const body = form.get("Body") ?? "";
    const from = form.get("From");
    const service = form.get("MessagingServiceSid");
    if (!to) return twilioError(400, 21604, "A 'To' phone number is required.");
    if (!E164.test(to))
      return twilioError(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    if (!from && !service)
      return twilioError(
        400,
        21603,
        "A 'From' or 'MessagingServiceSid' parameter is required to send a message.",
      );
    if (!body) return twilioError(400, 21602, "Message body is required.");
    if (body.length > 1600)
      return twilioError(
        400,
        21617,
        "The concatenated message body exceeds the 1600 character limit.",
      );
    const message: FakeMessage = {
      sid: vendorId("SM", 32),
      to,
      from,
      messaging_service_sid: service,
      body,
      // With a Messaging Service a message starts `accepted`, without one `queued`.
      status: service ? "accepted" : "queued",
      status_callback: form.get("StatusCallback"),
    };
    accepted.push(message);
    const created = new Date().toUTCString().replace("GMT", "+0000");
    return {
      status: 201,
      json: {
        account_sid: TWILIO_FAKE_ACCOUNT_SID,
        api_version: "2010-04-01",
        body,
        date_created: created,
        date_sent: null,
        date_updated: created,
        direction: "outbound-api",
        error_code: null,
        error_message: null,
        from,
        messaging_service_sid: service,
        num_media: "0",
        num_segments: String(Math.ceil(body.length / 160)),
        price: null,
        price_unit: null,
        sid: message.sid,
        status: message.status,
        to,
        uri: `/2010-04-01/Accounts/${TWILIO_FAKE_ACCOUNT_SID}/Messages/${message.sid}.json`,
      },
    };
  };
  const errorBody = (status: number) => {
    const [code, message] = ERRORS[status] ?? ERRORS[500]!;
    return twilioError(status, code, message).json;
  };
  const fake = await startMock({ answer: handle, errorBody }, { port: options.port });
  return { ...fake, messages: () => [...accepted] };
}
