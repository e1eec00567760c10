// `nixverse-gen node …` runs the fleet's nixverse/run.sh with the same arguments.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { node, splitFlakeOption } from "../../generator/cli/commands/node.js";
import type { CliContext } from "../../generator/cli/command.js";
import { DiagnosticError } from "../../generator/errors.js";
import { hasNix, readCalls, renderRunner, standinBin, tmpDir, writePlanFile } from "./support.js";

const nix = hasNix();
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
      hint: expect.stringContaining("npx nixverse-gen"),
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
    },
  );
});
