import type { Database } from "../../shared/clients/database.ts";
import type { Logger } from "../../shared/http/logger.ts";

/** An outbound message as sms_record_outbound takes it (`sid` null when its fate is unknown). */
export interface OutboundRecord {
  id: string;
  sid: string | null;
  status: string;
  to: string;
  from: string | undefined;
  messaging_service_sid: string | undefined;
  account_sid: string;
  /** Null for verification codes: a code is never stored. */
  body: string | null;
}

/**
 * Records a send in sms_messages after the response (`waitUntil`), where Twilio's status
 * callbacks move it on. A failure is logged (ids only); the callbacks still create the row.
 */
export async function recordOutbound(
  db: Database,
  log: Logger,
  message: OutboundRecord,
): Promise<void> {
  const { error } = await db
    .rpc("sms_record_outbound", { message })
    .abortSignal(AbortSignal.timeout(5_000));
  if (error)
    log.error("sent message not recorded", {
      id: message.id,
      sid: message.sid,
      error: error.message,
    });
}
