// `nixverse-gen node …` runs the fleet's nixverse/run.sh with the same arguments.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { node, splitFlakeOption } from "../../generator/cli/commands/node.js";
import type { CliContext } from "../../generator/cli/command.js";
import { DiagnosticError } from "../../generator/errors.js";
import { hasNix, readCalls, renderRunner, standinBin, tmpDir, writePlanFile } from "./support.js";

const nix = hasNix();
const cliJs = fileURLToPath(new URL("../../bin/nixverse-gen.js", import.meta.url));
if (!nix) console.log("SKIPPED: nixverse-gen node tests: nix is not installed");

function ctx(cwd: string, env: NodeJS.ProcessEnv): CliContext {
  return { cwd, env, stdout: { write: () => {} }, stderr: { write: () => {} }, color: false };
}

describe("nixverse-gen node", () => {
  it("takes --flake out of the runner's arguments", () => {
    expect(splitFlakeOption(["deploy", "--flake", "/f", "-p", "2", "web"])).toEqual({
      flake: "/f",
      rest: ["deploy", "-p", "2", "web"],
    });
    expect(splitFlakeOption(["build", "--flake=/g", "--", "--flake"])).toEqual({
      flake: "/g",
      rest: ["build", "--", "--flake"],
    });
  });

  it("says how to generate the runner when nixverse/run.sh is missing", async () => {
    const dir = tmpDir();
    writeFileSync(path.join(dir, "flake.nix"), "{ }\n");
    mkdirSync(path.join(dir, "nodes/x"), { recursive: true });
    const err = await node
      .run(["deploy", "x"], ctx(dir, { ...process.env, FLAKE: undefined }))
      .catch((e) => e);
    expect(err).toBeInstanceOf(DiagnosticError);
    expect((err as DiagnosticError).diagnostics[0]).toMatchObject({
      code: "runner-missing",
      hint: expect.stringContaining("run `nixverse-gen`"),
    });
  });

  it.skipIf(!nix)(
    "runs nixverse/run.sh node <args> in the fleet and returns its status",
    async () => {
      const dir = tmpDir("nixverse-fleet-");
      writeFileSync(path.join(dir, "flake.nix"), "{ }\n");
      mkdirSync(path.join(dir, "nixverse"));
      renderRunner(path.join(dir, "nixverse"));
      const work = tmpDir();
      const bin = standinBin(work, ["nixos-rebuild"]);
      const log = path.join(work, "calls.log");
      const plan = writePlanFile(
        { nodes: { a: { dir: "nodes/a", os: "nixos" }, b: { dir: "nodes/b", os: "nixos" } } },
        {
          a: { os: "nixos", deploy: { targetHost: "a" } },
          b: { os: "nixos", deploy: { targetHost: "b" } },
        },
        { action: "deploy", names: ["a", "b"], flakeDir: dir, mode: "build" },
      );
      const sub = path.join(dir, "nodes/a");
      mkdirSync(sub, { recursive: true });
      const env = {
        ...process.env,
        FLAKE: undefined,
        PATH: `${bin}:${process.env.PATH}`,
        STANDIN_LOG: log,
        NIXVERSE_PLAN_FILE: plan,
      };
      // from a subdirectory, without --flake: the fleet is found upwards
      expect(await node.run(["deploy", "--dry-run", "a", "b"], ctx(sub, env))).toBe(0);
      expect(
        readCalls(log)
          .map((c) => c.argv[2])
          .sort(),
      ).toEqual([`${dir}#a`, `${dir}#b`]);
      expect(
        await node.run(
          ["deploy", "--dry-run", "a", "b", "--flake", dir],
          ctx(tmpDir(), { ...env, STANDIN_FAIL: "b" }),
        ),
      ).toBe(1);
      expect(await node.run(["deploy", "-p", "0", "a"], ctx(dir, env))).toBe(2);
      // wrapped to a positive number in bash arithmetic, and deployed
      expect(await node.run(["deploy", "-p", "99999999999999999999", "a"], ctx(dir, env))).toBe(2);
    },
  );
});

describe.skipIf(!nix)("nixverse-gen node and signals", () => {
  it.each(["SIGTERM", "SIGHUP"] as const)(
    "%s to nixverse-gen node stops the runner and its workers: nothing is left to activate",
    async (sig) => {
      const dir = tmpDir("nixverse-fleet-");
      writeFileSync(path.join(dir, "flake.nix"), "{ }\n");
      mkdirSync(path.join(dir, "nodes/a"), { recursive: true });
      renderRunner(path.join(dir, "nixverse"));
      const work = tmpDir();
      const bin = standinBin(work, ["nixos-rebuild", "ssh"]);
      const log = path.join(work, "calls.log");
      const names = ["a", "b", "c"];
      const plan = writePlanFile(
        {
          nodes: Object.fromEntries(
            names.map((n) => [n, { dir: `nodes/${n}`, os: "nixos" as const }]),
          ),
        },
        Object.fromEntries(names.map((n) => [n, { os: "nixos", deploy: { targetHost: n } }])),
        { action: "deploy", names, flakeDir: dir },
      );
      const marker = sig === "SIGTERM" ? "47.125" : "47.375";
      const child = spawn(process.execPath, [cliJs, "node", "deploy", "-p", "2", ...names], {
        cwd: dir,
        stdio: ["ignore", "pipe", "pipe"],
        env: {
          ...process.env,
          FLAKE: dir,
          PATH: `${bin}:${process.env.PATH}`,
          STANDIN_LOG: log,
          STANDIN_SLEEP: marker,
          NIXVERSE_PLAN_FILE: plan,
        },
      });
      let out = "";
      child.stdout.on("data", (d) => (out += String(d)));
      for (let t = 0; t < 200 && (out.match(/running for [ab]/g) ?? []).length < 2; t++)
        await new Promise((r) => setTimeout(r, 50));
      const exited = new Promise<number>((r) => child.on("exit", (code) => r(code ?? -1)));
      child.kill(sig);
      expect(await exited).toBe(130);
      const left = () =>
        spawnSync("ps", ["-eo", "args"], { encoding: "utf8" })
          .stdout.split("\n")
          .filter((l) => l.includes(`sleep ${marker}`) || l.includes(bin));
      expect(left()).toEqual([]);
      expect(out).toMatch(/^c +deploy +not run/m); // the third node never started
    },
  );
});
