// `nixverse-gen hook install|uninstall`: the I/O side. Finds the hooks directory git really uses
// (core.hooksPath, worktrees), chains an existing hook, and is idempotent.

import { existsSync } from "node:fs";
import { chmod, mkdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import type { Result } from "../errors.js";
import { diag, fail, ok } from "../errors.js";
import { CHAINED_NAME, hookFlakeDir, hookScript, isOurHook } from "./script.js";
import { readOptional } from "../io/files.js";

export type HookAction = "installed" | "updated" | "unchanged" | "removed" | "absent";

export interface HookResult {
  action: HookAction;
  /** Absolute path of the pre-commit hook. */
  hook: string;
  /** The previous hook, moved aside and run first; null when there was none. */
  chained: string | null;
  /** The flake directory the hook regenerates, relative to the work tree's top ("" = the top). */
  flakeDir: string;
  /** What an earlier hook of ours regenerated, when `install` pointed it elsewhere. */
  previousFlakeDir: string | null;
}

/** How the hook calls this very nixverse-gen: the running node and the package's bin script. */
export function selfCommand(): { node: string; bin: string } {
  return {
    node: process.execPath,
    bin: fileURLToPath(new URL("../../bin/nixverse-gen.js", import.meta.url)),
  };
}

async function git(cwd: string, args: string[]): Promise<string | null> {
  const r = await execa("git", args, { cwd, reject: false });
  return r.exitCode === 0 ? r.stdout.trim() : null;
}

async function locate(flakeDir: string): Promise<Result<{ hook: string; rel: string }>> {
  const top = await git(flakeDir, ["rev-parse", "--show-toplevel"]);
  if (top === null) {
    return fail(
      diag(
        "hook-no-git",
        `${flakeDir} is not inside a git work tree`,
        undefined,
        "run `git init` first",
      ),
    );
  }
  const hookPath = await git(flakeDir, [
    "rev-parse",
    "--path-format=absolute",
    "--git-path",
    "hooks/pre-commit",
  ]);
  if (hookPath === null) return fail(diag("hook-no-git", "cannot find git's hooks directory"));
  const rel = path.relative(top, flakeDir).split(path.sep).join("/");
  return ok({ hook: hookPath, rel });
}

export async function installHook(
  flakeDir: string,
  command = selfCommand(),
): Promise<Result<HookResult>> {
  const where = await locate(path.resolve(flakeDir));
  if (!where.ok) return where;
  const { hook, rel } = where.value;
  const chainedPath = path.join(path.dirname(hook), CHAINED_NAME);
  const script = hookScript({ flakeDir: rel, ...command });
  const current = await readOptional(hook);
  const chained = existsSync(chainedPath) ? chainedPath : null;
  const base = { hook, flakeDir: rel, previousFlakeDir: null };
  if (current !== null && isOurHook(current)) {
    if (current === script) return ok({ ...base, action: "unchanged", chained });
    const before = hookFlakeDir(current);
    await writeFile(hook, script, { mode: 0o755 });
    await chmod(hook, 0o755);
    return ok({
      ...base,
      action: "updated",
      chained,
      previousFlakeDir: before !== null && before !== rel ? before : null,
    });
  }
  await mkdir(path.dirname(hook), { recursive: true });
  if (current !== null) {
    if (chained !== null) {
      return fail(
        diag(
          "hook-chain-taken",
          `both ${hook} and ${chainedPath} exist, and the first is not nixverse-gen's`,
          { file: hook },
          `merge them by hand, remove ${CHAINED_NAME}, and run \`nixverse-gen hook install\` again`,
        ),
      );
    }
    // Its mode moves with it: git skipped a non-executable hook, and so does ours.
    await rename(hook, chainedPath);
  }
  await writeFile(hook, script, { mode: 0o755 });
  await chmod(hook, 0o755);
  return ok({ ...base, action: "installed", chained: current !== null ? chainedPath : null });
}

export async function uninstallHook(flakeDir: string): Promise<Result<HookResult>> {
  const where = await locate(path.resolve(flakeDir));
  if (!where.ok) return where;
  const { hook, rel } = where.value;
  const base = { hook, flakeDir: rel, previousFlakeDir: null };
  const chainedPath = path.join(path.dirname(hook), CHAINED_NAME);
  const current = await readOptional(hook);
  if (current === null || !isOurHook(current))
    return ok({ ...base, action: "absent", chained: null });
  await rm(hook);
  if (existsSync(chainedPath)) {
    await rename(chainedPath, hook);
    return ok({ ...base, action: "removed", chained: hook });
  }
  return ok({ ...base, action: "removed", chained: null });
}
