// nixverse.yaml: optional generator settings. Every key has a default, so a newcomer needs no file.

import { isMap, isScalar, LineCounter, parseDocument } from "yaml";
import type { Diagnostic, Result } from "../errors.js";
import { diag, fail, ok } from "../errors.js";

/** Flake URLs for one channel: one nixpkgs URL, or one per os; and the companion inputs. */
export interface ChannelUrls {
  nixpkgs?: { nixos?: string; darwin?: string };
  "home-manager"?: string;
  "nix-darwin"?: string;
  "sops-nix"?: string;
  disko?: string;
}

export interface Config {
  /** What the channel `stable` means, e.g. "26.05". */
  stable: string;
  channels: Record<string, ChannelUrls>;
  /** Systems for perSystem outputs and apps; null → lib.systems.flakeExposed. */
  systems: string[] | null;
  /** Flake description. */
  description: string | null;
  deploy: { parallel: number };
}

export const DEFAULT_CONFIG: Config = {
  stable: "26.05",
  channels: {},
  systems: null,
  description: null,
  deploy: { parallel: 10 },
};

const KNOWN_INPUT_KEYS = ["nixpkgs", "home-manager", "nix-darwin", "sops-nix", "disko"];

export function parseConfig(text: string, file = "nixverse.yaml"): Result<Config> {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  const at = (offset: number | undefined) => {
    const p = lc.linePos(offset ?? 0);
    return { file, line: p.line, column: p.col };
  };
  if (doc.errors.length) {
    return fail(
      ...doc.errors.map((e) =>
        diag("config-yaml", `invalid YAML: ${e.message.split("\n")[0]}`, at(e.pos[0])),
      ),
    );
  }
  const errors: Diagnostic[] = [];
  const config: Config = structuredClone(DEFAULT_CONFIG);
  const root = doc.contents;
  if (root === null || root === undefined) return ok(config);
  if (!isMap(root)) return fail(diag("config-type", "nixverse.yaml must be a mapping", at(0)));
  const err = (node: unknown, message: string, hint?: string) => {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    errors.push(diag("config-invalid", message, at(range?.[0]), hint));
  };
  for (const item of root.items) {
    const key = isScalar(item.key) ? String(item.key.value) : "";
    const value = item.value;
    const js = (value as { toJSON?: () => unknown } | null)?.toJSON?.() ?? (isScalar(value) ? value.value : value);
    switch (key) {
      case "stable":
        if (typeof js === "string" || typeof js === "number") config.stable = String(js);
        else err(value, "stable must be a release like \"26.05\"");
        break;
      case "description":
        if (typeof js === "string") config.description = js;
        else err(value, "description must be a string");
        break;
      case "systems":
        if (Array.isArray(js) && js.every((s) => typeof s === "string")) config.systems = js;
        else err(value, "systems must be a list of strings such as x86_64-linux");
        break;
      case "deploy": {
        const p = (js as { parallel?: unknown } | null)?.parallel;
        if (js && typeof js === "object" && Object.keys(js).every((k) => k === "parallel") &&
            (p === undefined || (Number.isInteger(p) && (p as number) > 0))) {
          if (p !== undefined) config.deploy.parallel = p as number;
        } else err(value, "deploy takes only `parallel`, a positive integer");
        break;
      }
      case "channels": {
        if (!js || typeof js !== "object" || Array.isArray(js)) {
          err(value, "channels must map channel names to input URLs");
          break;
        }
        for (const [ch, urls] of Object.entries(js as Record<string, unknown>)) {
          const parsed = parseChannel(urls);
          if (typeof parsed === "string") err(value, `channels.${ch}: ${parsed}`);
          else config.channels[ch] = parsed;
        }
        break;
      }
      default:
        err(item.key, `unknown setting "${key}"`, "known settings: stable, channels, systems, description, deploy");
    }
  }
  return errors.length ? fail(...errors) : ok(config);
}

function parseChannel(v: unknown): ChannelUrls | string {
  if (typeof v === "string") return { nixpkgs: { nixos: v, darwin: v } };
  if (!v || typeof v !== "object" || Array.isArray(v)) return "expected a URL or a mapping";
  const out: ChannelUrls = {};
  for (const [k, u] of Object.entries(v as Record<string, unknown>)) {
    if (!KNOWN_INPUT_KEYS.includes(k)) return `unknown key "${k}" (known: ${KNOWN_INPUT_KEYS.join(", ")})`;
    if (k === "nixpkgs") {
      if (typeof u === "string") out.nixpkgs = { nixos: u, darwin: u };
      else if (u && typeof u === "object" && Object.keys(u).every((o) => o === "nixos" || o === "darwin") &&
               Object.values(u).every((x) => typeof x === "string"))
        out.nixpkgs = u as { nixos?: string; darwin?: string };
      else return "nixpkgs must be a URL or { nixos: URL, darwin: URL }";
    } else if (typeof u === "string") (out as Record<string, unknown>)[k] = u;
    else return `${k} must be a URL`;
  }
  return out;
}
