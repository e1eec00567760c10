// The one signal → exit status mapping (the shell's 128 + signal number: SIGHUP 129, SIGINT 130,
// SIGTERM 143), shared by the secrets commands' interrupt exit and the runner's status.

import { constants } from "node:os";

/** The signals a command cleans up after (its temp files) before it exits. */
export const INTERRUPTS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

export function exitStatusOf(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}
