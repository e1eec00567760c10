// What would be ignored is said, with "did you mean" (generator/model/ignored.ts); mistakes get
// the hint that matches them, once per cause.
import { describe, expect, it } from "vitest";
import { makeTree, runCli } from "../support/cli.js";

const META = '{ os = "nixos"; channel = "unstable"; }\n';
const node = (name: string) => ({
  [`nodes/${name}/node.nix`]: META,
  [`nodes/${name}/configuration.nix`]: "{ }\n",
});
const servers = {
  "nodes/servers/group.nix": `{ common = ${META.trim()}; s1 = { }; s2 = { }; }\n`,
  "nodes/servers/common/configuration.nix": "{ }\n",
};

async function gen(files: Record<string, string>) {
  return runCli(["gen"], makeTree(files));
}

const warnings = (stderr: string) => stderr.split("\n").filter((l) => l.includes(": warning: "));

describe("files that will be ignored are named, with what would be read instead", () => {
  it.each([
    ["nodes/a/nodes.nix", "did you mean node.nix?"],
    ["nodes/a/Node.nix", "did you mean node.nix?"],
    ["nodes/a/configuraton.nix", "did you mean configuration.nix?"],
    ["nodes/common/configuraton.nix", "did you mean configuration.nix?"],
    ["nodes/servers/common/hardware-configuraton.nix", "did you mean hardware-configuration.nix?"],
    ["nodes/servers/s1/disk-confg.nix", "did you mean disk-config.nix?"],
  ])("%s", async (file, hint) => {
    const r = await gen({ ...node("a"), ...servers, [file]: "{ }\n" });
    expect(r.code, r.stderr).toBe(0);
    expect(warnings(r.stderr)).toEqual([
      expect.stringContaining(`${file}: warning: ${file} is ignored: `),
    ]);
    expect(r.stderr).toContain(`(${hint})`);
  });

  it("a node.nix in a group member's directory: its meta belongs in the group", async () => {
    const r = await gen({ ...servers, "nodes/servers/s1/node.nix": META });
    expect(r.code, r.stderr).toBe(0);
    expect(warnings(r.stderr)).toEqual([
      "nodes/servers/s1/node.nix: warning: nodes/servers/s1/node.nix is ignored: a group member's meta configuration is read from its group, as in Nixverse (put it in nodes/servers/group.nix: s1 = { … };)",
    ]);
  });

  it("a directory that is neither node nor group, and a group directory's own configuration.nix", async () => {
    const r = await gen({
      ...servers,
      "nodes/b/configuration.nix": "{ }\n",
      "nodes/b/hardware-configuration.nix": "{ }\n",
      "nodes/servers/configuration.nix": "{ }\n",
    });
    expect(r.code, r.stderr).toBe(0);
    const w = warnings(r.stderr);
    expect(w).toHaveLength(2);
    expect(w[0]).toContain(
      "nodes/b/ is neither a node nor a group (it has no node.nix or group.nix)",
    );
    expect(w[1]).toContain(
      "(files for every member of servers go in nodes/servers/common/configuration.nix)",
    );
  });

  it.each([
    ["nodes/a/home/bob/home.nix", "move it to nodes/a/users/bob/home.nix"],
    [
      "nodes/servers/common/home/bob/home.nix",
      "move it to nodes/servers/common/users/bob/home.nix",
    ],
    ["nodes/servers/s1/home/root/home.nix", "move it to nodes/servers/s1/users/root/home.nix"],
  ])("the layout before Nixverse b1b80d5: %s", async (file, hint) => {
    const r = await gen({ ...node("a"), ...servers, [file]: "{ }\n" });
    expect(r.code, r.stderr).toBe(0);
    expect(warnings(r.stderr)).toEqual([
      expect.stringContaining(
        `${file}: warning: ${file} is ignored: home files live in users/<user>/ since Nixverse b1b80d5 (${hint})`,
      ),
    ]);
  });

  it("other files (imported by path) are left alone", async () => {
    const r = await gen({
      ...node("a"),
      "nodes/a/nginx.nix": "{ }\n",
      "nodes/a/extra/helper.nix": "{ }\n",
    });
    expect(r.code, r.stderr).toBe(0);
    expect(warnings(r.stderr)).toEqual([]);
  });
});

describe("hints that match the mistake, one message per cause", () => {
  it("`comon` in a group.nix is not taken for a member node", async () => {
    const r = await gen({
      "nodes/servers/group.nix": `{ comon = ${META.trim()}; s1 = { }; }\n`,
      "nodes/servers/common/configuration.nix": "{ }\n",
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'nodes/servers/group.nix:1:3: error: "comon" in nodes/servers/group.nix would be a member node: did you mean common?',
    );
    expect(r.stderr).not.toContain("comon has no");
  });

  it.each([
    ['[ "s1" "s2" ]', "a list of names is not a group"],
    ['"s1"', "a string is not a group"],
    ["{ ... }: { s1 = { }; }", "group.nix is not a function"],
  ])("group.nix = %s", async (text, hint) => {
    const r = await gen({ "nodes/servers/group.nix": `${text}\n` });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `(${hint}: write { common = { … }; member1 = { }; member2 = { }; })`,
    );
  });

  it("a group common without a system is one warning naming every member, with the system = hint", async () => {
    const r = await gen({
      "nodes/servers/group.nix": '{ common.channel = "unstable"; s1 = { }; s2 = { }; s3 = { }; }\n',
      "nodes/servers/common/configuration.nix": "{ }\n",
    });
    expect(r.code, r.stderr).toBe(0);
    expect(warnings(r.stderr)).toEqual([
      'nodes/servers/group.nix:1:32: warning: Missing required meta configuration `system` for nodes s1, s2, s3; gen goes on, and evaluating them fails with this message until it is fixed (set system = "x86_64-linux"; (or another system, or os = "nixos"; or "darwin") in its node.nix/host.nix or a parent group\'s common)',
    ]);
  });

  it("members without any configuration.nix: one warning", async () => {
    const r = await gen({
      "nodes/servers/group.nix": `{ common = ${META.trim()}; s1 = { }; s2 = { }; }\n`,
    });
    expect(r.code, r.stderr).toBe(0);
    const w = warnings(r.stderr);
    expect(w).toHaveLength(1);
    expect(w[0]).toContain("Missing configuration.nix for nodes s1, s2");
  });
});

describe("unknown commands, subcommands and options: did you mean", () => {
  it.each([
    [["gne"], 'unknown command "gne" (did you mean "gen"?)'],
    [["gen", "--chek"], "Unknown option '--chek' (did you mean --check?)"],
    [["show", "--jsno"], "Unknown option '--jsno' (did you mean --json?)"],
    [["hook", "instal"], 'unknown subcommand "instal" (did you mean "install"?)'],
  ])("%j", async (args, message) => {
    const r = await runCli(args, makeTree(node("a")));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });
});
