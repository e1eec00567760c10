// Names are identifiers, never paths (issue 12 item 1): node, group and user names from directory
// names and group.nix keys alike, checked before anything is written; the commit refuses paths
// that resolve outside the flake; comments never carry control characters.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { NixCommented, renderNix } from "../../generator/nix/value.js";
import { makeTree, runCli, snapshot } from "../support/cli.js";
import { nixEvalJson, tempDir } from "../support/nix.js";

const node = '{ os = "nixos"; channel = "unstable"; }\n';
const ok = { "nodes/a/node.nix": node, "nodes/a/configuration.nix": "{ }\n" };

/** gen fails with exactly this first error line, and nothing in the tree (or beside it) changed. */
async function refused(
  files: Record<string, string>,
  firstLine: string,
  root = makeTree(files, path.join(tempDir(), "flake")),
) {
  const outside = path.dirname(root);
  const besideBefore = readdirSync(outside).sort();
  const before = snapshot(root);
  const r = await runCli(["gen", "--flake", root], root);
  expect(r.code).toBe(1);
  expect(r.stderr.split("\n")[0]).toBe(firstLine);
  expect(r.stderr).toContain("nixverse-gen: nothing was written");
  expect(snapshot(root)).toEqual(before);
  expect(readdirSync(outside).sort()).toEqual(besideBefore);
}

const RULE = "(use only ASCII letters, digits and -, not starting with -)";
const HINT = "(rename the key; it names a node or group)";

describe("node and group names are identifiers", () => {
  it("a group key that is a path is refused at the key", () =>
    refused(
      { ...ok, "nodes/g/group.nix": '{\n  a = { };\n  "../../../victim" = { };\n}\n' },
      `nodes/g/group.nix:3:3: error: "../../../victim" is not a valid node or group name ${RULE}: nodes/g/group.nix ${HINT}`,
    ));

  it("a group key with a newline (an input injection into flake.nix) is refused", () =>
    refused(
      { ...ok, "nodes/g/group.nix": '{ a = { }; "x\\n  evil.url = \\"github:x/y\\";" = { }; }\n' },
      `nodes/g/group.nix:1:12: error: "x\\n  evil.url = \\"github:x/y\\";" is not a valid node or group name ${RULE}: nodes/g/group.nix ${HINT}`,
    ));

  it("a dotted key (the wrong attribute) and a make substitution are refused", async () => {
    await refused(
      { ...ok, "nodes/g/group.nix": '{ a = { }; "b.c" = { }; }\n' },
      `nodes/g/group.nix:1:12: error: "b.c" is not a valid node or group name ${RULE}: nodes/g/group.nix ${HINT}`,
    );
    await refused(
      { ...ok, "nodes/g/group.nix": '{ a = { }; "$(shell touch pwned)" = { }; }\n' },
      `nodes/g/group.nix:1:12: error: "$(shell touch pwned)" is not a valid node or group name ${RULE}: nodes/g/group.nix ${HINT}`,
    );
    await refused(
      { ...ok, "nodes/-x/node.nix": node },
      `nodes/-x: error: "-x" is not a valid node or group name ${RULE}: nodes/-x (rename the directory; names become attribute names, host names and file names)`,
    );
  });

  it("accepts letters, digits and - in keys and directories", async () => {
    const root = makeTree({
      ...ok,
      "nodes/Web-01/node.nix": node,
      "nodes/Web-01/configuration.nix": "{ }\n",
      "nodes/g/group.nix": '{ a = { }; "9lives" = { os = "nixos"; channel = "unstable"; }; }\n',
      "nodes/g/common/configuration.nix": "{ }\n",
    });
    const r = await runCli(["gen", "-q", "--flake", root], root);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  it("a directory name that is not UTF-8 is an error, not a silent drop", async () => {
    const root = makeTree(ok);
    // Node's fs takes a Buffer path for the bytes a string cannot spell.
    const bad = Buffer.concat([Buffer.from(path.join(root, "nodes/b")), Buffer.from([0xff])]);
    mkdirSync(bad);
    writeFileSync(Buffer.concat([bad, Buffer.from("/node.nix")]), node);
    const r = await runCli(["gen", "--flake", root], root);
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n")[0]).toBe(
      'nodes/b\uFFFD: error: "b\\xff" is not a valid node or group name (it is not valid UTF-8): nodes/b\uFFFD (rename it to ASCII letters, digits and -)',
    );
    expect(existsSync(path.join(root, "flake.nix"))).toBe(false);
  });
});

describe("user names are identifiers", () => {
  it("refuses a users/ directory that is not one, accepts _ in it", async () => {
    await refused(
      {
        ...ok,
        "nodes/a/users/ok_user/home.nix": "{ }\n",
        "nodes/a/users/x y/home.nix": "{ }\n",
      },
      `nodes/a/users/x y: error: "x y" is not a valid user name (only ASCII letters, digits, _ and -, not starting with -): nodes/a/users/x y (rename the directory; user names become home-manager attributes)`,
    );
    const root = makeTree({ ...ok, "nodes/a/users/_deploy/home.nix": "{ }\n" });
    expect((await runCli(["gen", "-q", "--flake", root], root)).code).toBe(0);
  });
});

describe("entries that would hang or break later are errors", () => {
  it("a FIFO as node.nix (it would block the read forever)", async () => {
    const root = makeTree(ok);
    mkdirSync(path.join(root, "nodes/f"));
    execFileSync("mkfifo", [path.join(root, "nodes/f/node.nix")]);
    const r = await runCli(["gen", "--flake", root], root);
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n")[0]).toBe(
      "nodes/f/node.nix: error: nodes/f/node.nix is not a regular file (a FIFO, socket or device) (replace it with a regular file)",
    );
    expect(existsSync(path.join(root, "flake.nix"))).toBe(false);
  });

  it("a node directory symlinked outside the flake", async () => {
    const root = makeTree(ok);
    const elsewhere = makeTree({ "node.nix": node, "configuration.nix": "{ }\n" });
    symlinkSync(elsewhere, path.join(root, "nodes/b"));
    await refused(
      {},
      `nodes/b: error: nodes/b is a symbolic link to ${elsewhere}, outside the flake (the flake's copy in the Nix store cannot follow it: move the directory into the tree)`,
      root,
    );
  });
});

describe("the commit stays inside the flake", () => {
  it("refuses to write through a nixverse/ that links outside", async () => {
    const root = makeTree(ok);
    const victim = tempDir();
    symlinkSync(victim, path.join(root, "nixverse"));
    const r = await runCli(["gen", "--flake", root], root);
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n")[0]).toMatch(
      /^nixverse\/[^:]+: error: refusing to write nixverse\/\S+: it resolves to .*, outside the flake/,
    );
    expect(readdirSync(victim)).toEqual([]);
    expect(existsSync(path.join(root, "flake.nix"))).toBe(false);
  });
});

describe("comments never carry control characters", () => {
  it("a carriage return cannot end a generated comment and start Nix code", async () => {
    const text = renderNix({ x: new NixCommented("from a\rinjected = 1; #\u001b[2J", 1) });
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
    expect(await nixEvalJson(["--expr", text])).toEqual({ x: 1 });
  });
});
