import { createRootApp } from "../../shared/http/app.ts";
import { createMessagingApp } from "./app.ts";
import { messagingDeps } from "./deps.ts";

/** The messaging function deployed on its own: the shared root (request ids, access log, errors) around its app. */
export default createRootApp({
  name: "messaging",
  apps: [createMessagingApp(messagingDeps)],
});
