// Nix's stderr turned into one located diagnostic, without echoing the plaintext source lines Nix
// prints around a syntax error.
import { expect, it } from "vitest";
import { nixError } from "../../generator/secrets/evaluate.js";

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
