// Bad input to the secrets commands is a located error and writes nothing (issue 12 item 6):
// .sops.yaml rules that are not mappings, `encrypt -o` into a missing directory, keys sops would
// mishandle in a node's document, and `decrypt --node` on a node whose .pub is not written yet.
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { loadFleet } from "../../generator/model/load.js";
import { HOST_KEY, HOST_KEY_PUB, planNodes } from "../../generator/secrets/node-files.js";
import { parseSopsConfig, SopsConfigError } from "../../generator/secrets/sops-config.js";
import { fromPlain, type SopsMap } from "../../generator/secrets/sops/tree.js";
import { makeTree, runCli, snapshot } from "../support/cli.js";

const TREE = {
  "nodes/routers/group.nix":
    '{ common = { os = "nixos"; channel = "unstable"; }; r1 = { }; r2 = { }; }\n',
  "nodes/routers/common/configuration.nix": "{ }\n",
};

async function fixture() {
  const identity = await generateIdentity();
  const recipient = await identityToRecipient(identity);
  const root = makeTree({ ...TREE, ".sops.yaml": `creation_rules:\n  - age: ${recipient}\n` });
  const env = { SOPS_AGE_KEY: identity, HOME: root, XDG_CONFIG_HOME: undefined };
  const run = (args: string[]) => runCli(["secrets", ...args, "--flake", root], root, env);
  return { root, identity, recipient, run };
}

describe("secrets commands refuse bad input", () => {
  it(".sops.yaml creation rules that are not mappings are an error naming the entry", () => {
    for (const [rules, got] of [
      ["  - age1abc\n", "string"],
      ["  - null\n", "null"],
      ["  - [ age1abc ]\n", "a list"],
    ]) {
      const parse = () => parseSopsConfig(`creation_rules:\n${rules}`, ".sops.yaml");
      expect(parse).toThrow(SopsConfigError);
      expect(parse).toThrow(`.sops.yaml: creation_rules[0] must be a mapping`);
      expect(parse).toThrow(`(got ${got})`);
    }
  });

  it("encrypt -o into a missing directory says so and writes nothing", async () => {
    const f = await fixture();
    writeFileSync(join(f.root, "app.yaml"), "password: hunter2\n");
    const before = snapshot(f.root);
    const r = await f.run(["encrypt", "-o", "no/such/dir/app.enc.yaml", "app.yaml"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "no/such/dir/app.enc.yaml: error: cannot write no/such/dir/app.enc.yaml: the directory no/such/dir does not exist (create it first (mkdir -p no/such/dir) or check the path)\n",
    );
    expect(snapshot(f.root)).toEqual(before);
    expect(existsSync(join(f.root, "no"))).toBe(false);
  });

  it("decrypt --node writes nothing, not even a missing .pub", async () => {
    const f = await fixture();
    writeFileSync(join(f.root, "token"), "t0k3n\n");
    const enc = await f.run(["encrypt", "--node", "r1", "-o", "token.enc", "token"]);
    expect(enc.code).toBe(0);
    const pub = join(f.root, "nodes/routers/r1", HOST_KEY_PUB);
    expect(existsSync(pub)).toBe(true);
    rmSync(pub); // a .pub not committed yet: decrypt must not write it
    const before = snapshot(f.root);
    const dec = await f.run(["decrypt", "--node", "r1", "token.enc"]);
    expect(dec.stderr).toBe("");
    expect(dec.stdout).toBe("t0k3n\n");
    expect(snapshot(f.root)).toEqual(before);
  });

  it("a node document with a top-level `sops` or a key ending _unencrypted is refused", async () => {
    const f = await fixture();
    const fleet = await loadFleet(f.root);
    if (!fleet.ok) throw new Error(JSON.stringify(fleet.errors));
    const ctx = {
      root: f.root,
      model: fleet.value.model,
      sopsConfig: {
        file: join(f.root, ".sops.yaml"),
        creationRules: [{ age: [f.recipient], rules: {} }],
      },
      masterIdentities: [f.identity],
    };
    const doc = (v: unknown) => fromPlain(v) as SopsMap;
    const plan = await planNodes(
      ctx,
      new Map([
        ["r1", doc({ sops: "x", ok: "1" })],
        ["r2", doc({ db: { password_unencrypted: "hunter2" } })],
      ]),
    );
    expect(plan.ok).toBe(false);
    if (plan.ok) return;
    expect(plan.errors.map((e) => [e.code, e.message])).toEqual([
      [
        "secrets-sops-key",
        "the secrets of r1 have a top-level key `sops`, which sops reserves for its metadata",
      ],
      [
        "secrets-unencrypted-key",
        "the secret db.password_unencrypted of r2 ends in _unencrypted, so sops would store it in clear",
      ],
    ]);
    // nothing planned, so nothing to write, and no host key was made for either node
    expect(existsSync(join(f.root, "nodes/routers/r1", HOST_KEY))).toBe(false);
  });
});
