import { createRootApp } from "../../shared/http/app.ts";
import { createPaymentsApp } from "./app.ts";
import { paymentsDeps } from "./deps.ts";

/** The payments function deployed on its own: the shared root (request ids, access log, errors) around its app. */
export default createRootApp({
  name: "payments",
  apps: [createPaymentsApp(paymentsDeps)],
});
