// `nixverse-gen node …` runs the fleet's generated runner (nixverse/run.sh), the same script as
// `nix run . -- node …`, so both behave identically. This module only locates and starts it.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { diag, type Result, fail, ok } from "../errors.js";
import { exitStatusOf } from "../signals.js";

export const RUNNER_PATH = "nixverse/run.sh";

/** The runner of the fleet in `flakeDir`, or an error saying how to generate it. */
export function locateRunner(flakeDir: string): Result<string> {
  const script = path.join(flakeDir, RUNNER_PATH);
  if (!existsSync(script)) {
    return fail(
      diag(
        "runner-missing",
        `${RUNNER_PATH} does not exist in ${flakeDir}`,
        undefined,
        "run `nixverse-gen` in the fleet first to generate flake.nix and nixverse/",
      ),
    );
  }
  return ok(script);
}

/**
 * Environment for the runner: the flake directory, and this very nixverse-gen for decrypting
 * secrets/fs files (so no second install or PATH entry is needed).
 */
export function runnerEnv(flakeDir: string, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const binJs = fileURLToPath(new URL("../../bin/nixverse-gen.js", import.meta.url));
  return {
    ...env,
    FLAKE: flakeDir,
    ...(existsSync(binJs) ? { NIXVERSE_GEN_JS: binJs, NIXVERSE_NODE: process.execPath } : {}),
  };
}

/**
 * Runs the script with inherited stdio (the runner prints its own prefixed output) and resolves
 * to its exit status. SIGINT reaches the runner through the terminal's process group; we only
 * wait for it to print its summary and exit. SIGTERM and SIGHUP, sent to this process alone,
 * are passed on: the runner stops its workers (their own process groups) and reports, instead of
 * going on as an orphan that still activates nodes.
 */
export function runRunner(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [script, ...args], { stdio: "inherit", env, cwd });
    const ignore = () => {};
    const forward = (sig: NodeJS.Signals) => () => {
      child.kill(sig);
    };
    const onTerm = forward("SIGTERM");
    const onHup = forward("SIGHUP");
    process.on("SIGINT", ignore);
    process.on("SIGTERM", onTerm);
    process.on("SIGHUP", onHup);
    const done = () => {
      process.off("SIGINT", ignore);
      process.off("SIGTERM", onTerm);
      process.off("SIGHUP", onHup);
    };
    child.on("error", (e) => {
      done();
      reject(e);
    });
    child.on("exit", (code, signal) => {
      done();
      resolve(code ?? (signal ? exitStatusOf(signal) : 1));
    });
  });
}
