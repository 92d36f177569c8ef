import { isAppError } from "../../../shared/http/errors.ts";

/** The status and param of the AppError `run` throws; fails the test if it throws none. */
export function refusal(run: () => unknown) {
  try {
    run();
  } catch (error) {
    if (isAppError(error)) return { status: error.status, param: error.param };
    throw error;
  }
  throw new Error("not refused");
}
