// A commit survives a crash at every step (issue 12 item 2): the process is SIGKILLed right after
// each step of the transaction (the NIXVERSE_GEN_TEST_CRASH_AT hook in write/atomic.ts), and the
// next run must leave all old files or all new ones, no stray transaction dir, and then a clean
// `gen --check`.
import { execa } from "execa";
import { cpSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { makeTree, repoRoot, snapshot } from "../support/cli.js";
import { tempDir } from "../support/nix.js";

const bin = path.join(repoRoot, "bin/nixverse-gen.js");
const node = '{ os = "nixos"; channel = "unstable"; }\n';

const run = (root: string, args: string[], env: Record<string, string> = {}) =>
  execa("node", [bin, ...args, "--flake", root], {
    reject: false,
    env: { ...process.env, FLAKE: "", ...env },
  });

const strays = (root: string) => readdirSync(root).filter((f) => f.startsWith(".nixverse-gen-"));
const files = (root: string) =>
  Object.fromEntries(
    Object.entries(snapshot(root)).filter(([k]) => !k.startsWith(".nixverse-gen-")),
  );

/** A generated tree whose next `gen` rewrites several files (one more node). */
async function staleTree() {
  const root = makeTree({ "nodes/a/node.nix": node, "nodes/a/configuration.nix": "{ }\n" });
  expect((await run(root, ["gen", "-q"])).exitCode).toBe(0);
  makeTree({ "nodes/b/node.nix": node, "nodes/b/configuration.nix": "{ }\n" }, root);
  return root;
}

function copyOf(root: string): string {
  const dir = tempDir();
  cpSync(root, dir, { recursive: true });
  return dir;
}

describe("crash-safe commit", () => {
  it("a SIGKILL after any step is finished or undone by the next run", async () => {
    const stale = await staleTree();
    const old = files(stale);
    const probe = copyOf(stale);
    expect((await run(probe, ["gen", "-q"])).exitCode).toBe(0);
    const fresh = files(probe);
    const changed = Object.keys(fresh).filter((k) => old[k] !== fresh[k]);
    expect(changed.length).toBeGreaterThanOrEqual(2);

    const steps = ["staged", "journal", ...changed.map((_, i) => `apply-${i}`), "done"];
    const outcomes: Record<string, string> = {};
    for (const step of steps) {
      const root = copyOf(stale);
      const crashed = await run(root, ["gen", "-q"], { NIXVERSE_GEN_TEST_CRASH_AT: step });
      expect(crashed.signal, `killed at ${step}`).toBe("SIGKILL");
      expect(strays(root), `the crash at ${step} left its transaction`).toHaveLength(1);

      // Any command recovers first; --check writes nothing else.
      const next = await run(root, ["gen", "--check"]);
      const now = files(root);
      outcomes[step] =
        JSON.stringify(now) === JSON.stringify(old)
          ? "old"
          : JSON.stringify(now) === JSON.stringify(fresh)
            ? "new"
            : "mixed";
      expect(strays(root), `after recovering from ${step}`).toEqual([]);
      expect(next.stderr).toMatch(/nixverse-gen: (finished a write|removed \.nixverse-gen-)/);
      if (outcomes[step] === "new") {
        expect(next.exitCode, `gen --check after ${step}`).toBe(0);
      } else {
        expect((await run(root, ["gen", "-q"])).exitCode).toBe(0);
        expect((await run(root, ["gen", "--check"])).exitCode, `gen --check after ${step}`).toBe(0);
      }
    }
    // Before the journal nothing was touched; from the journal on, the commit is finished.
    expect(outcomes).toEqual(
      Object.fromEntries(steps.map((s) => [s, s === "staged" ? "old" : "new"])),
    );
  });

  it("a failed rename rolls back in-process, and a crash during that rollback is undone", async () => {
    const root = await staleTree();
    const old = files(root);
    const failed = await run(root, ["gen"], { NIXVERSE_GEN_TEST_FAIL_AT: "apply-1" });
    expect(failed.exitCode).toBe(1);
    expect(failed.stderr).toContain("injected failure after step apply-1");
    expect(files(root)).toEqual(old);
    expect(strays(root)).toEqual([]);

    const crashed = await run(root, ["gen"], {
      NIXVERSE_GEN_TEST_FAIL_AT: "apply-1",
      NIXVERSE_GEN_TEST_CRASH_AT: "rollback",
    });
    expect(crashed.signal).toBe("SIGKILL");
    const next = await run(root, ["gen", "--check"]);
    expect(next.stderr).toMatch(/^nixverse-gen: undid a write that was interrupted \(flake\.nix, /);
    expect(files(root)).toEqual(old);
    expect(strays(root)).toEqual([]);
  });
});
