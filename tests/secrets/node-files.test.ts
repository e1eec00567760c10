// Host keys and per-node files on real trees (the model from loadFleet): private/ layout and moves,
// Nixverse's secrets/default.yaml, a replaced host key.

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { loadFleet } from "../../generator/model/load.js";
import { applyChanges } from "../../generator/secrets/commit.js";
import {
  HOST_KEY,
  HOST_KEY_PUB,
  planNodes,
  type PlanContext,
} from "../../generator/secrets/node-files.js";
import {
  decryptText,
  emitPlain,
  encryptToText,
  parsePlain,
  recipientsOf,
} from "../../generator/secrets/sops/document.js";
import { fromPlain, toPlain, type SopsMap } from "../../generator/secrets/sops/tree.js";
import {
  formatPrivateKey,
  formatPublicKey,
  generateEd25519,
} from "../../generator/secrets/ssh-keys.js";
import {
  ageIdentityFromOpenSshPrivateKey,
  ageRecipientFromEd25519,
} from "../../generator/secrets/ssh-to-age.js";
import { makeTree } from "../support/cli.js";

const BASE = {
  "nodes/routers/group.nix":
    '{ common = { os = "nixos"; channel = "unstable"; }; r1 = { }; r2 = { }; }\n',
  "nodes/routers/common/configuration.nix": "{ }\n",
};

async function setup(files: Record<string, string>) {
  const identity = await generateIdentity();
  const recipient = await identityToRecipient(identity);
  const root = makeTree({
    ...BASE,
    ".sops.yaml": `creation_rules:\n  - age: ${recipient}\n`,
    ...files,
  });
  const ctx = async (extra: Partial<PlanContext> = {}): Promise<PlanContext> => {
    const fleet = await loadFleet(root);
    if (!fleet.ok) throw new Error(JSON.stringify(fleet.errors));
    return {
      root,
      model: fleet.value.model,
      sopsConfig: {
        file: join(root, ".sops.yaml"),
        creationRules: [{ age: [recipient], rules: {} }],
      },
      masterIdentities: [identity],
      ...extra,
    };
  };
  return { root, identity, recipient, ctx };
}

const doc = (v: unknown) => fromPlain(v) as SopsMap;
const read = (root: string, rel: string) => readFileSync(join(root, rel), "utf8");

async function nodeIdentity(root: string, rel: string, master: string): Promise<string> {
  const pem = emitPlain(
    (await decryptText(read(root, rel), "binary", [master])).branches,
    "binary",
  );
  return ageIdentityFromOpenSshPrivateKey(pem);
}

describe("per-node files", () => {
  it("with private/, everything goes under private/<dir> and public twins move there", async () => {
    const s = await setup({ "private/.keep": "" });
    // A public host key and secrets file from before private/ existed.
    const key = generateEd25519();
    const pem = formatPrivateKey(key);
    const encKey = await encryptToText(parsePlain(pem, "binary"), "binary", {
      recipients: [s.recipient],
      indent: 2,
    });
    makeTree(
      {
        [`nodes/routers/r1/${HOST_KEY}`]: encKey,
        [`nodes/routers/r1/${HOST_KEY_PUB}`]: formatPublicKey(key),
      },
      s.root,
    );
    const plan = await planNodes(
      await s.ctx(),
      new Map([
        ["r1", doc({ a: "1" })],
        ["r2", doc({ b: "2" })],
      ]),
    );
    if (!plan.ok) throw new Error(JSON.stringify(plan.errors));
    await applyChanges(s.root, plan.value.changes);
    for (const n of ["r1", "r2"]) {
      expect(existsSync(join(s.root, `private/nodes/routers/${n}/${HOST_KEY}`))).toBe(true);
      expect(existsSync(join(s.root, `private/nodes/routers/${n}/${HOST_KEY_PUB}`))).toBe(true);
      expect(existsSync(join(s.root, `private/nodes/routers/${n}/secrets.yaml`))).toBe(true);
    }
    expect(existsSync(join(s.root, `nodes/routers/r1/${HOST_KEY}`))).toBe(false);
    expect(existsSync(join(s.root, `nodes/routers/r1/${HOST_KEY_PUB}`))).toBe(false);
    // r1 kept its key: same ciphertext moved, and its file is encrypted to it.
    expect(read(s.root, `private/nodes/routers/r1/${HOST_KEY}`)).toBe(encKey);
    const file = read(s.root, "private/nodes/routers/r1/secrets.yaml");
    expect(recipientsOf(file, "yaml")).toEqual([ageRecipientFromEd25519(key.publicKey)]);
    const id = ageIdentityFromOpenSshPrivateKey(pem);
    expect(toPlain((await decryptText(file, "yaml", [id])).branches[0] as SopsMap)).toEqual({
      a: "1",
    });
  });

  it("refuses a host key that exists both publicly and in private/", async () => {
    const s = await setup({ "private/.keep": "" });
    const enc = await encryptToText(
      parsePlain(formatPrivateKey(generateEd25519()), "binary"),
      "binary",
      {
        recipients: [s.recipient],
      },
    );
    makeTree(
      { [`nodes/routers/r1/${HOST_KEY}`]: enc, [`private/nodes/routers/r1/${HOST_KEY}`]: enc },
      s.root,
    );
    const plan = await planNodes(await s.ctx(), new Map([["r1", doc({ a: "1" })]]));
    expect(plan.ok).toBe(false);
    expect(!plan.ok && plan.errors[0]?.message).toBe(
      `Both nodes/routers/r1/${HOST_KEY} and private/nodes/routers/r1/${HOST_KEY} exist, only one is allowed`,
    );
  });

  it("keeps a Nixverse secrets/default.yaml in place and rewrites it only on change", async () => {
    const s = await setup({});
    const first = await planNodes(await s.ctx(), new Map([["r1", doc({ a: "1" })]]));
    if (!first.ok) throw new Error("plan");
    // Rename what we wrote to Nixverse's name.
    await applyChanges(
      s.root,
      first.value.changes.map((c) =>
        c.path.endsWith("/secrets.yaml")
          ? { ...c, path: "nodes/routers/r1/secrets/default.yaml" }
          : c,
      ),
    );
    const same = await planNodes(await s.ctx(), new Map([["r1", doc({ a: "1" })]]));
    expect(same.ok && same.value.changes).toEqual([]);
    const changed = await planNodes(await s.ctx(), new Map([["r1", doc({ a: "2" })]]));
    expect(changed.ok && changed.value.changes.map((c) => c.path)).toEqual([
      "nodes/routers/r1/secrets/default.yaml",
    ]);
  });

  it("after the user replaces a host key, the node's file is re-encrypted to the new key", async () => {
    const s = await setup({});
    const first = await planNodes(await s.ctx(), new Map([["r1", doc({ a: "1" })]]));
    if (!first.ok) throw new Error("plan");
    await applyChanges(s.root, first.value.changes);
    const newKey = generateEd25519();
    writeFileSync(
      join(s.root, `nodes/routers/r1/${HOST_KEY}`),
      await encryptToText(parsePlain(formatPrivateKey(newKey), "binary"), "binary", {
        recipients: [s.recipient],
      }),
    );
    const again = await planNodes(await s.ctx(), new Map([["r1", doc({ a: "1" })]]));
    if (!again.ok) throw new Error("plan");
    expect(again.value.changes.map((c) => c.path).sort()).toEqual([
      `nodes/routers/r1/${HOST_KEY_PUB}`,
      "nodes/routers/r1/secrets.yaml",
    ]);
    await applyChanges(s.root, again.value.changes);
    expect(read(s.root, `nodes/routers/r1/${HOST_KEY_PUB}`)).toBe(formatPublicKey(newKey));
    const id = await nodeIdentity(s.root, `nodes/routers/r1/${HOST_KEY}`, s.identity);
    expect(
      toPlain(
        (await decryptText(read(s.root, "nodes/routers/r1/secrets.yaml"), "yaml", [id]))
          .branches[0] as SopsMap,
      ),
    ).toEqual({ a: "1" });
  });

  it("a host key the master keys cannot open is an error naming the file", async () => {
    const s = await setup({});
    const other = await identityToRecipient(await generateIdentity());
    makeTree(
      {
        [`nodes/routers/r1/${HOST_KEY}`]: await encryptToText(
          parsePlain(formatPrivateKey(generateEd25519()), "binary"),
          "binary",
          {
            recipients: [other],
          },
        ),
      },
      s.root,
    );
    const plan = await planNodes(await s.ctx(), new Map([["r1", doc({ a: "1" })]]));
    expect(plan.ok).toBe(false);
    expect(!plan.ok && plan.errors[0]?.file).toBe(`nodes/routers/r1/${HOST_KEY}`);
    expect(!plan.ok && plan.errors[0]?.message).toMatch(
      /none of the available age keys can decrypt this file/,
    );
  });
});
