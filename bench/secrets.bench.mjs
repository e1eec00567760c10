// Secrets: re-encrypting every node's secrets.yaml for a 100-node fleet (the part of `secrets edit`
// / `rekey` after Nix has evaluated the master file). Target: < 2 s for 100 nodes.
// Imports the compiled generator (npm run build).
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { planNodes } from "../dist/secrets/node-files.js";
import { applyChanges } from "../dist/secrets/commit.js";
import { fromPlain } from "../dist/secrets/sops/tree.js";

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A flat fleet of n nodes under one group, as the model stage would describe it. */
function model(root, n) {
  const nodes = {};
  for (let i = 0; i < n; i++) {
    const name = `node${String(i).padStart(3, "0")}`;
    nodes[name] = {
      name,
      dir: `nodes/all/${name}`,
      parents: ["all"],
      secretsFile: null,
      hostKeyPub: null,
    };
  }
  return {
    root,
    hasPrivate: false,
    nodes,
    groups: {},
    masterSecrets: null,
    sopsConfig: ".sops.yaml",
  };
}

function docs(names, version) {
  return new Map(
    names.map((n) => [
      n,
      fromPlain({
        pppoe: { user: "isp-user", password: `pw-${version}-${n}` },
        wifi: { psk: `psk-${version}`, ssid: "fleet" },
        tokens: [`t1-${version}`, `t2-${version}`],
        port: 8443,
      }),
    ]),
  );
}

export async function run({ sizes = [100], repeat = 5 } = {}) {
  const rows = [];
  const identity = await generateIdentity();
  const recipient = await identityToRecipient(identity);
  for (const n of sizes) {
    const root = mkdtempSync(path.join(os.tmpdir(), `nixverse-bench-secrets-${n}-`));
    try {
      const m = model(root, n);
      const ctx = {
        root,
        model: m,
        sopsConfig: {
          file: path.join(root, ".sops.yaml"),
          creationRules: [{ age: [recipient], rules: {} }],
        },
        masterIdentities: [identity],
      };
      const names = Object.keys(m.nodes);
      // First run: host keys made, every file written.
      let t = performance.now();
      const first = await planNodes(ctx, docs(names, 0));
      if (!first.ok) throw new Error(JSON.stringify(first.errors));
      await applyChanges(root, first.value.changes);
      rows.push({
        bench: "secrets: first run (host keys + files)",
        size: `${n} nodes`,
        value: performance.now() - t,
        unit: "ms",
      });
      for (const node of Object.values(m.nodes)) node.secretsFile = `${node.dir}/secrets.yaml`;

      const changed = [];
      const unchanged = [];
      for (let i = 1; i <= repeat; i++) {
        t = performance.now();
        const r = await planNodes(ctx, docs(names, i));
        if (!r.ok || r.value.written.length !== n)
          throw new Error("expected every node file to be re-encrypted");
        await applyChanges(root, r.value.changes);
        changed.push(performance.now() - t);
        t = performance.now();
        const u = await planNodes(ctx, docs(names, i));
        if (!u.ok || u.value.changes.length !== 0) throw new Error("expected no change");
        unchanged.push(performance.now() - t);
      }
      rows.push({
        bench: "secrets: re-encrypt all node files",
        size: `${n} nodes`,
        value: median(changed),
        unit: "ms",
        note: `target < 2000 ms; median of ${repeat}`,
      });
      rows.push({
        bench: "secrets: unchanged (decrypt + compare)",
        size: `${n} nodes`,
        value: median(unchanged),
        unit: "ms",
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
  return rows;
}
