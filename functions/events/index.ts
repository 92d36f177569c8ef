import { createRootApp } from "../../shared/http/app.ts";
import { createEventsApp } from "./app.ts";
import { eventsDeps } from "./deps.ts";

/** Events deployed on its own: the shared root (request ids, access log, errors) around its app. */
export default createRootApp({ name: "events", apps: [createEventsApp(eventsDeps)] });
