// Supabase Edge Function entry (bundled into supabase/functions/ai-proxy by `npm run build`).
import { serveOnSupabase } from "../../shared/platform/supabase.ts";
import app from "./index.ts";

serveOnSupabase("ai-proxy", app);
