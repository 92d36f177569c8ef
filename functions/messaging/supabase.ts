// Supabase Edge Function entry (bundled into supabase/functions/messaging by `npm run build`).
import { serveOnSupabase } from "../../shared/platform/supabase.ts";
import app from "./index.ts";

serveOnSupabase("messaging", app);
