import { AppError } from "../http/errors.ts";

/** A 2xx body that is not what the vendor documents: the proxy answers 502 rather than guess. */
export function unreadableResponse(): AppError {
  return new AppError({
    status: 502,
    code: "bad_upstream_response",
    category: "external_service",
    message: "The upstream provider sent a response the proxy could not read",
  });
}
