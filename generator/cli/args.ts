import { parseArgs } from "node:util";
import { closest } from "../suggest.js";
import { UsageError } from "./command.js";

type Spec = Record<string, { type: "boolean" | "string"; short?: string; multiple?: boolean }>;

/** node:util parseArgs with our usage errors, and the closest option for a mistyped one. */
export function parseOptions<S extends Spec>(args: string[], options: S, allowPositionals = false) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (e) {
    const err = e as Error & { code?: string };
    const message = err.message.replace(/\. To specify.*$/s, "");
    const unknown = /^Unknown option '--([^'=]+)/.exec(message);
    const near = unknown ? closest(unknown[1]!, Object.keys(options)) : null;
    throw new UsageError(near ? `${message} (did you mean --${near}?)` : message);
  }
}
