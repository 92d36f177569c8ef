// `npm run fakes`: local fakes of Twilio's Messages API and Stripe's API (the ones the tests use),
// so `npm start` can send SMS, verification codes and payments without an account. Prints the
// variables that point `npm start` at them, and each message it "sends" (codes included: the
// fake is the phone). Dev tooling only: never deployed.
import { STRIPE_FAKE_KEY, startStripeFake } from "../test/mocks/stripe-api.ts";
import {
  TWILIO_FAKE_ACCOUNT_SID,
  TWILIO_FAKE_AUTH_TOKEN,
  startTwilioFake,
} from "../test/mocks/twilio-api.ts";

const twilioPort = Number(process.env.TWILIO_FAKE_PORT ?? 8790);
const stripePort = Number(process.env.STRIPE_FAKE_PORT ?? 8791);
const twilio = await startTwilioFake({ port: twilioPort });
const stripe = await startStripeFake({ port: stripePort });

const vars = {
  TWILIO_API_BASE_URL: twilio.url,
  TWILIO_ACCOUNT_SID: TWILIO_FAKE_ACCOUNT_SID,
  TWILIO_AUTH_TOKEN: TWILIO_FAKE_AUTH_TOKEN,
  TWILIO_FROM: "+15005550006",
  STRIPE_API_BASE_URL: stripe.url,
  STRIPE_SECRET_KEY: STRIPE_FAKE_KEY,
  SERVICE_API_KEYS: "local-service-key",
};
console.log(`Twilio fake on ${twilio.url}, Stripe fake on ${stripe.url}.`);
console.log("Start Breakwater against them (or put these lines in .dev.vars):\n");
console.log(
  `${Object.entries(vars)
    .map(([name, value]) => `${name}=${value}`)
    .join(" \\\n")} \\\nnpm start\n`,
);

let seen = 0;
const timer = setInterval(() => {
  const messages = twilio.messages();
  for (const message of messages.slice(seen)) console.log(`SMS to ${message.to}: ${message.body}`);
  seen = messages.length;
}, 200);

async function stop() {
  clearInterval(timer);
  await Promise.all([twilio.close(), stripe.close()]);
  process.exit(0);
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
