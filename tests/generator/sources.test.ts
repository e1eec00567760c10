// Every .nix file of the fleet is parsed by gen and gen --check (generator/model/sources.ts), with
// the place Nix itself reports and a code frame; nix-instantiate --parse is the oracle.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { FRAME_WIDTH, codeFrame } from "../../generator/cli/report.js";
import { makeTree, runCli, snapshot } from "../support/cli.js";
import { nixEnv, tempDir } from "../support/nix.js";

const hasNix = (await execa("nix-instantiate", ["--version"], { reject: false })).exitCode === 0;
if (!hasNix) console.log("SKIPPED: nix-instantiate is not installed (the location oracle)");

/** Nix's own `file:line:col` for a file it refuses to parse. */
async function nixPlace(file: string): Promise<{ line: number; column: number; message: string }> {
  const r = await execa("nix-instantiate", ["--parse", file], { reject: false, env: nixEnv() });
  expect(r.exitCode, `nix-instantiate --parse ${file} accepted it`).not.toBe(0);
  // The error's own place is the `at FILE:L:C:` line (a message may name a second place).
  const escaped = file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const at = new RegExp(`at ${escaped}:(\\d+):(\\d+):$`, "m").exec(r.stderr);
  expect(at, r.stderr).not.toBeNull();
  return { line: Number(at![1]), column: Number(at![2]), message: r.stderr };
}

async function fleet(extra: Record<string, string>): Promise<string> {
  const dir = tempDir();
  expect((await runCli(["init"], dir)).code).toBe(0);
  return makeTree(extra, dir);
}

const BROKEN: Record<string, string> = {
  "nodes/my-node/configuration.nix":
    '{\n  services.openssh.enable = true\n  networking.hostName = "x";\n}\n',
  "nodes/my-node/users/me/home.nix": '{ ... }:\n{\n  home.stateVersion = "26.05";;\n}\n',
  "nodes/my-node/disk-config.nix": "{ disko.devices = { ; }\n",
  "nodes/my-node/services/web.nix": "{ config, ... }:\n{ x = config.a.; }\n",
  "modules/nixos/base.nix": "{ imports = [ ./a.nix ] }\n",
  "pkgs/hello.nix": '{ stdenv }: stdenv.mkDerivation { name = "hello" \n',
  "lib.nix": "{ lib }: { f = x: x + ; }\n",
  "outputs/flake/thing.nix": "{ inputs, ... }: { x = in; }\n",
  "private/nodes/my-node/configuration.nix": "{ a = 1; a = 2; }\n",
};

describe.skipIf(!hasNix)("gen parses every .nix file of the fleet", () => {
  it("a syntax error anywhere stops gen and gen --check at Nix's file:line:col, with a code frame", async () => {
    for (const [rel, text] of Object.entries(BROKEN)) {
      const dir = await fleet({});
      const before = snapshot(dir);
      makeTree({ [rel]: text }, dir);
      const nix = await nixPlace(path.join(dir, rel));
      for (const args of [["gen"], ["gen", "--check"]]) {
        const r = await runCli(args, dir);
        expect(r.code, `${args.join(" ")} with a broken ${rel}`).toBe(1);
        expect(r.stderr).toContain(`${rel}:${nix.line}:${nix.column}: error: `);
        const shown = text.split("\n")[nix.line - 1]!;
        expect(r.stderr).toContain(`${nix.line}| ${shown}`.trimEnd());
        expect(r.stderr).toMatch(new RegExp(`\\n +\\| ${" ".repeat(nix.column - 1)}\\^\\n`));
      }
      delete before[rel];
      const after = snapshot(dir);
      delete after[rel];
      expect(after, `gen wrote something although ${rel} is broken`).toEqual(before);
    }
  });

  it("finds `lib` used in a module that takes no arguments, and says to add { lib, ... }:", async () => {
    const rel = "nodes/servers/common/configuration.nix";
    const dir = await fleet({
      "nodes/servers/group.nix":
        '{ common = { os = "nixos"; channel = "unstable"; }; s1 = { }; }\n',
      [rel]: "{\n  boot.loader.grub.enable = lib.mkDefault true;\n}\n",
    });
    const nix = await nixPlace(path.join(dir, rel));
    expect(nix.message).toContain("undefined variable 'lib'");
    const r = await runCli(["gen"], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${rel}:${nix.line}:${nix.column}: error: undefined variable 'lib' (add { lib, ... }: as the file's first line, so the module receives lib)`,
    );

    // With arguments that lack it, the hint names the missing one.
    writeFileSync(path.join(dir, rel), "{ config, ... }:\n{\n  x = lib.mkForce config.y;\n}\n");
    expect((await runCli(["gen", "--check"], dir)).stderr).toContain(
      "undefined variable 'lib' (add lib to the file's arguments: { lib, ... }:)",
    );

    // And it is fixed the way the hint says.
    writeFileSync(
      path.join(dir, rel),
      "{ lib, ... }:\n{\n  boot.loader.grub.enable = lib.mkDefault true;\n}\n",
    );
    const ok = await runCli(["gen"], dir);
    expect(ok.code, ok.stderr).toBe(0);
  });

  it("ignores generated and scratch files, and reports a file imported from meta once", async () => {
    const dir = await fleet({
      "build/scratch.nix": "{ broken",
      "nodes/my-node/meta-extra.nix": '{ tags = [ "a" ] }\n',
    });
    writeFileSync(
      path.join(dir, "nodes/my-node/node.nix"),
      '{ imports = [ ./meta-extra.nix ]; os = "nixos"; channel = "unstable"; }\n',
    );
    const r = await runCli(["gen"], dir);
    expect(r.code).toBe(1);
    expect(r.stderr.match(/meta-extra\.nix:1:\d+: error/g)).toHaveLength(1);
    expect(r.stderr).not.toContain("build/scratch.nix");
  });
});

describe("code frames", () => {
  it("shows the line before, the line, a caret under the column and the line after", () => {
    expect(codeFrame("a\nbb = x;\nc\n", 2, 6)).toBe(
      "\n  1| a\n  2| bb = x;\n   |      ^\n  3| c\n",
    );
    expect(codeFrame("only", 1, 1)).toBe("\n  1| only\n   | ^\n");
    // A tab before the column stays a tab under it.
    expect(codeFrame("\tx y\n", 1, 4)).toBe("\n  1| \tx y\n   | \t  ^\n");
    expect(codeFrame("a\n", 9, 1)).toBe("");
  });

  it("clips a long line to a window around the column, with … where text was cut", () => {
    // Each character says its own column, so the window shown can be checked exactly.
    const long = Array.from({ length: 5000 }, (_, i) =>
      String.fromCharCode(65 + ((i * 7) % 26)),
    ).join("");
    const frame = codeFrame(`${long}\nshort\n`, 1, 3000).split("\n");
    const from = 3000 - 1 - FRAME_WIDTH / 2;
    expect(frame[1]).toBe(`  1| …${long.slice(from, from + FRAME_WIDTH)}…`);
    // The caret is under column 3000: "…" plus the columns shown before it.
    expect(frame[2]).toBe(`   | ${" ".repeat(1 + 3000 - 1 - from)}^`);
    expect(long[frame[2]!.indexOf("^") - "   | …".length + from]).toBe(long[2999]);
    // The context lines show the same columns; a short one shows only the marker.
    expect(frame[3]).toBe("  2| …");
    // The file's final newline still adds no empty line, clipped or not.
    expect(codeFrame(`${long}\n`, 1, 3000).split("\n")).toHaveLength(4);
    // Near either end the window stops at the end: no marker on that side.
    expect(codeFrame(long, 1, 1).split("\n")[1]).toBe(`  1| ${long.slice(0, FRAME_WIDTH)}…`);
    const end = codeFrame(long, 1, 5000).split("\n");
    expect(end[1]).toBe(`  1| …${long.slice(-FRAME_WIDTH)}`);
    expect(end[2]).toBe(`   | ${" ".repeat(FRAME_WIDTH)}^`);
    // A long context line around a short offending line is clipped too.
    expect(codeFrame(`${long}\nx = ;\n`, 2, 5).split("\n")[1]).toBe(
      `  1| ${long.slice(0, FRAME_WIDTH)}…`,
    );
  });
});
