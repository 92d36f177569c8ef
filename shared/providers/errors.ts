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

/** A 400 about one request field the serving provider cannot honour: named, never dropped. */
export function unsupported(param: string, message: string): AppError {
  return new AppError({
    status: 400,
    code: "unsupported_parameter",
    category: "validation",
    message,
    param,
  });
}

/** A 400 about one request field that is malformed. */
export function invalidField(param: string, message: string): AppError {
  return new AppError({
    status: 400,
    code: "invalid_request",
    category: "validation",
    message,
    param,
  });
}
