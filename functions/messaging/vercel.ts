// Vercel Edge Function entry (.vercel/output/functions/messaging.func, built by `npm run build`).
import { vercelEdge } from "../../shared/platform/vercel.ts";
import app from "./index.ts";

export default vercelEdge(app);
