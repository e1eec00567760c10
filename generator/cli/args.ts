import { parseArgs } from "node:util";
import { UsageError } from "./command.js";

type Spec = Record<string, { type: "boolean" | "string"; short?: string; multiple?: boolean }>;

/** node:util parseArgs with our usage errors. */
export function parseOptions<S extends Spec>(args: string[], options: S, allowPositionals = false) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\. To specify.*$/s, ""));
  }
}
