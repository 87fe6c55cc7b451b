import { InputError } from "../../lib/errors.ts";

/** The one-line problems an InputError carries; fails the test when `fn` throws nothing or something else. */
export function inputProblems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof InputError) return error.message.split("\n");
    throw error;
  }
  throw new Error("expected an InputError");
}
