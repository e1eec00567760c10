import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadMasterIdentities, userConfigDir } from "../../generator/secrets/age.js";
import { masterRecipients, parseSopsConfig, ruleFor } from "../../generator/secrets/sops-config.js";
import { haveVectors, readVector, skipped, tempDir } from "./helpers.js";

const tmp = tempDir();
afterAll(tmp.cleanup);

const A = "age1je6kjhzuhdjy3fqptpttxjh5k8q46vygzlgtpuq3030c947pc5tqz9dqvr";
const B = "age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw";

describe(".sops.yaml creation rules", () => {
  const cfg = parseSopsConfig(
    [
      "creation_rules:",
      "  - path_regex: ^private/.*\\.yaml$",
      `    age: ${B}`,
      "  - path_regex: secrets/.*",
      "    key_groups:",
      `      - age: [${A}]`,
      "    encrypted_regex: ^(data|password)$",
      "  - age: >-",
      `      ${A},${B}`,
    ].join("\n"),
    "/flake/.sops.yaml",
  );

  it("takes the first rule whose path_regex matches the path relative to the config", () => {
    expect(ruleFor(cfg, "/flake/private/secrets.yaml").age).toEqual([B]);
    expect(ruleFor(cfg, "/flake/nodes/r1/secrets/fs/etc/x").age).toEqual([A]);
    expect(ruleFor(cfg, "/flake/nodes/r1/secrets/fs/etc/x").rules.encryptedRegex).toBe(
      "^(data|password)$",
    );
    expect(masterRecipients(cfg, "/flake/secrets.yaml").recipients).toEqual([A, B]);
  });

  it("fails when no rule matches, and when the rule has no age key", () => {
    const only = parseSopsConfig(
      `creation_rules:\n  - path_regex: \\.json$\n    age: ${A}\n`,
      "/f/.sops.yaml",
    );
    expect(() => ruleFor(only, "/f/secrets.yaml")).toThrow(/no matching creation rules/);
    const pgp = parseSopsConfig("creation_rules:\n  - pgp: ABCDEF\n", "/f/.sops.yaml");
    expect(() => masterRecipients(pgp, "/f/secrets.yaml")).toThrow(/no age keys/);
  });

  it.skipIf(!haveVectors)(
    "reads the humphd vector's config (its misspelt path_regexp is ignored, as sops ignores it)",
    () => {
      const c = parseSopsConfig(readVector("humphd-sops-age/sops.yaml.config"), "/x/.sops.yaml");
      expect(ruleFor(c, "/x/anything.txt").age).toHaveLength(3);
    },
  );
  if (!haveVectors) skipped("sops vectors not found");
});

describe("master identities", () => {
  const id1 = "AGE-SECRET-KEY-1QXRVEJH9S4NQU0FPD6V79ESZQ8S6PXH3L8V40EVPTHFH6KNKD4DQ7SKC4P";
  const id2 = "AGE-SECRET-KEY-1NJT5YCS2LWU4V4QAJQ6R4JNU7LXPDX602DZ9NUFANVU5GDTGUWCQ5T59M6";

  it("reads SOPS_AGE_KEY, SOPS_AGE_KEY_FILE and $XDG_CONFIG_HOME/sops/age/keys.txt together", () => {
    const keyFile = join(tmp.dir, "k.txt");
    writeFileSync(keyFile, `# comment\n${id2}\n`);
    const xdg = join(tmp.dir, "xdg");
    mkdirSync(join(xdg, "sops", "age"), { recursive: true });
    writeFileSync(join(xdg, "sops", "age", "keys.txt"), `${id1}\n`);
    const env = {
      SOPS_AGE_KEY: `${id1} ${id2}`,
      SOPS_AGE_KEY_FILE: keyFile,
      XDG_CONFIG_HOME: xdg,
      HOME: tmp.dir,
    };
    const set = loadMasterIdentities(env);
    expect(set.identities).toEqual([id1, id2, id2, id1]);
    expect(set.problems).toEqual([]);
  });

  it("falls back to ~/.config when XDG_CONFIG_HOME is unset, and reports bad keys", () => {
    expect(userConfigDir({ HOME: "/home/u" }, "linux")).toBe("/home/u/.config");
    expect(userConfigDir({ HOME: "/Users/u" }, "darwin")).toBe(
      "/Users/u/Library/Application Support",
    );
    expect(userConfigDir({ HOME: "/Users/u", XDG_CONFIG_HOME: "/x" }, "darwin")).toBe("/x");
    const set = loadMasterIdentities({ SOPS_AGE_KEY: "not-a-key", HOME: join(tmp.dir, "nohome") });
    expect(set.identities).toEqual([]);
    expect(set.problems[0]).toMatch(/SOPS_AGE_KEY: not an age identity/);
  });
});
