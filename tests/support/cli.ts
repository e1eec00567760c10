// Runs the CLI in-process (fast) or as a child process (for what needs a real process).
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { main } from "../../generator/cli/main.js";
import { tempDir } from "./nix.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await main(args, {
    cwd,
    env: { ...process.env, FLAKE: undefined, ...env },
    stdout: { write: (s) => void (stdout += s) },
    stderr: { write: (s) => void (stderr += s) },
    color: false,
  });
  return { code, stdout, stderr };
}

/** Writes a tree of files (relative path → content) into a fresh temp dir. */
export function makeTree(files: Record<string, string>, root = tempDir()): string {
  for (const [rel, content] of Object.entries(files)) {
    const f = path.join(root, rel);
    mkdirSync(path.dirname(f), { recursive: true });
    writeFileSync(f, content);
  }
  return root;
}

/** Every file under dir (relative path → content), for "nothing was written" checks. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const e of readdirSync(path.join(dir, rel))) {
      const r = rel ? `${rel}/${e}` : e;
      if (e === ".git") continue;
      if (statSync(path.join(dir, r)).isDirectory()) walk(r);
      else out[r] = readFileSync(path.join(dir, r), "utf8");
    }
  };
  walk("");
  return out;
}

export const repoRoot = path.resolve(import.meta.dirname, "../..");
