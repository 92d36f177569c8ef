// Supabase Edge Function entry (bundled into supabase/functions/events by `npm run build`).
import { serveOnSupabase } from "../../shared/platform/supabase.ts";
import app from "./index.ts";

serveOnSupabase("events", app);
