// Nix's stderr turned into one located diagnostic, without echoing the plaintext: neither the
// source lines Nix prints around an error nor the values its messages quote.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { nixError } from "../../generator/secrets/evaluate.js";
import { nixEnv } from "../support/nix.js";
import { hasCommand } from "./helpers.js";

const FILE = "/tmp/nixverse-secrets-AbC123/secrets.nix";

it("locates a syntax error in the master file and drops Nix's source excerpt", () => {
  const stderr = `error: syntax error, unexpected ';'\n\n       at ${FILE}:1:23:\n\n            1| { nodes = { routers = ; }; }\n             |                       ^\n`;
  const d = nixError(stderr, FILE, "private/secrets.yaml");
  expect(d).toMatchObject({
    file: "private/secrets.yaml",
    line: 1,
    column: 23,
    message: "syntax error, unexpected ';'",
  });
  expect(JSON.stringify(d)).not.toContain("routers = ;");
});

it("keeps the runtime's message, without its prefix or Nix's --show-trace advice", () => {
  const stderr =
    "warning: Git tree '/x' is dirty\nerror: nixverse secrets: secrets.nodes.routerz: \"routerz\" is not a node or group under nodes/ (known: a, b) (use '--show-trace' to show detailed location information)\n";
  const d = nixError(stderr, FILE, "secrets.yaml");
  expect(d.message).toBe(
    'secrets.nodes.routerz: "routerz" is not a node or group under nodes/ (known: a, b)',
  );
  expect(d.file).toBe("secrets.yaml");
  expect(d.hint).toMatch(/directory under nodes\//);
});

it("never shows the temp path: it names the master file instead", () => {
  const d = nixError(
    `error: getting status of '${FILE}': No such file or directory\n`,
    FILE,
    "secrets.yaml",
  );
  expect(d.message).toBe("getting status of 'secrets.yaml': No such file or directory");
});

// New Nix (2.18 and later, here 2.34): `error:` alone, the trace, then the indented message.
const NEW_FORMAT = `error:
       … while evaluating attribute 'config'
         at «string»:3:89:
            2|     secretsLib = nv.secrets or (throw "…");
            3|   in secretsLib (import ${FILE})) nv; in { inherit (s) config nodeNames nodes; }
             |                                                                                         ^

       … while evaluating attribute 'nodes'
         at /nix/store/vqdmal1mabvyd0q5wjzs4fqa38q867cn-source/nixverse/lib/secrets.nix:152:5:
          151|   config = secrets // {
          152|     nodes = secrets.nodes // cascaded;
             |     ^
          153|   };

       (stack trace truncated; use '--show-trace' to show the full, detailed trace)

       error: nixverse secrets: secrets.nodes.routerz: "routerz" is not a node or group under nodes/ (known: a, b)
`;

it("reads the message after new Nix's trace, not the bare `error:` line", () => {
  const d = nixError(NEW_FORMAT, FILE, "secrets.yaml");
  expect(d.message).toBe(
    'secrets.nodes.routerz: "routerz" is not a node or group under nodes/ (known: a, b)',
  );
  expect(d.hint).toMatch(/directory under nodes\//);
  expect(d.line).toBeUndefined();
});

describe.skipIf(!hasCommand("nix"))("messages of the Nix on PATH", () => {
  // A decrypted master file with mistakes that make Nix quote values and source lines.
  const SOURCE = `{
  nodes.a.pw = "hunter2-pw";
  bad1 = "x\${{ inner = "hunter2-inner"; }}";
  bad2 = 1 + "hunter2-add";
  bad3 = assert "hunter2-eq" == "x"; 1;
  bad4 = (x: x.y) "hunter2-set";
  bad5 = { p = ''
    hunter2-indented
  ''; }.missing;
}
`;
  const SYNTAX = `{\n  nodes.a.pw = "hunter2-pw";\n  bad6 = { nodes = ; };\n}\n`;
  const dir = mkdtempSync(join(tmpdir(), "nixverse-secrets-"));
  const file = join(dir, "secrets.nix");
  writeFileSync(file, SOURCE);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = (attr: string) => {
    const src = attr === "bad6" ? SYNTAX : SOURCE;
    writeFileSync(file, src);
    const r = spawnSync(
      "nix",
      ["eval", "--impure", "--json", "--expr", `{ x = (import ${file}).${attr}; }`],
      { encoding: "utf8", env: nixEnv() },
    );
    expect(r.status).not.toBe(0);
    return nixError(r.stderr, file, "secrets.yaml", src);
  };

  it.each([
    ["bad1", /^cannot coerce a set to a string/, 3],
    ["bad2", /^cannot add a string to an integer$/, 4],
    ["bad3", /^string '"…"' is not equal to string '"…"'$/, 5],
    ["bad4", /^expected a set but found a string: "…"$/, 6],
    ["bad5", /^attribute 'missing' missing$/, 7],
    ["bad6", /^syntax error, unexpected ';'/, 3],
  ] as const)("%s: Nix's message, located, with no secret value", (attr, message, line) => {
    const d = run(attr);
    expect(d.message).toMatch(message);
    expect(d).toMatchObject({ file: "secrets.yaml", line });
    expect(JSON.stringify(d)).not.toMatch(/hunter2|nixverse-secrets-/);
  });
});
