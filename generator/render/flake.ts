// flake.nix from its template: the user's inputs verbatim, the added ones, and every node by name.

import Handlebars from "handlebars";
import { readFileSync } from "node:fs";
import type { Config } from "../config/config.js";
import type { FleetModel } from "../model/types.js";
import type { AddedInput, InputsPlan } from "../plan/inputs.js";
import type { UserInputs } from "../plan/user-inputs.js";
import { reindent } from "../plan/user-inputs.js";
import { commentText, nixAttrName, nixString } from "./nix-value.js";

let compiled: HandlebarsTemplateDelegate | null = null;

function template(): HandlebarsTemplateDelegate {
  compiled ??= Handlebars.compile(
    readFileSync(new URL("../../templates/flake.nix.hbs", import.meta.url), "utf8"),
    { noEscape: true, strict: true },
  );
  return compiled;
}

export function inputBinding(a: AddedInput): string {
  const name = nixAttrName(a.name);
  if (a.follows === null) return `${name}.url = ${nixString(a.url)};`;
  return `${name} = {\n      url = ${nixString(a.url)};\n      inputs.nixpkgs.follows = ${nixString(a.follows)};\n    };`;
}

export function renderFlake(
  model: FleetModel,
  inputs: InputsPlan,
  userInputs: UserInputs | null,
  config: Config,
): string {
  const byOs = (os: string) =>
    Object.values(model.nodes)
      .filter((n) => n.os.value === os)
      .map((n) => ({ attr: nixAttrName(n.name), name: nixString(n.name) }));
  const header = userInputs ? reindent(userInputs.header, 4) : "";
  return template()({
    description: config.description === null ? null : nixString(config.description),
    submodules: config.submodules,
    userInputs: userInputs
      ? {
          file: userInputs.file,
          header: header.trim() ? header : null,
          inner: reindent(userInputs.inner, 4),
        }
      : null,
    added: inputs.added.map((a) => ({ reason: commentText(a.reason), binding: inputBinding(a) })),
    nixos: byOs("nixos"),
    darwin: byOs("darwin"),
  });
}
