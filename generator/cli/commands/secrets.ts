import { parseOptions } from "../args.js";
import type { CliContext, Command } from "../command.js";
import { UsageError } from "../command.js";
import { FLAKE_OPTION_HELP, openFlakeDir } from "../flake-dir.js";
import { gen } from "./gen.js";
import { flakeEvaluator, type NixOptions } from "../../secrets/evaluate.js";
import {
  decryptCommand,
  encryptCommand,
  evalCommand,
  type CryptOptions,
} from "../../secrets/file-commands.js";
import type { OnInterrupt, Outcome } from "../../secrets/context.js";
import { editSecrets, rekeySecrets } from "../../secrets/flow.js";
import { SOPS_FORMATS, type SopsFormat } from "../../secrets/sops/document.js";
import { exitStatusOf } from "../../signals.js";
import { didYouMean } from "../../suggest.js";
import { printMessages, printOutcome } from "../report.js";

const SUBCOMMANDS = ["edit", "eval", "encrypt", "decrypt", "rekey"];

const help = `Usage: nixverse-gen secrets <command> [options]

Secrets live in one sops-encrypted Nix expression, secrets.yaml (private/secrets.yaml when
private/ exists), encrypted to the master age key(s) of .sops.yaml. Its \`nodes.<node-or-group>\`
values cascade to nodes (a node's own values win over its groups'); each node that receives
secrets gets an SSH host key and its own secrets.yaml, encrypted to that key only, which sops-nix
decrypts on the machine. No sops or ssh-to-age binary is needed; Nix evaluates the expression.

Commands:
  edit [--resume FILE]   edit the master file in $SOPS_EDITOR / $EDITOR (vi), then evaluate it,
                         make missing host keys, re-encrypt changed per-node files and the master
                         file. On any error nothing is written and your edit is kept (0600) with a
                         --resume command to continue.
  eval <expr>            evaluate a Nix expression that sees lib, lib', inputs, nodes and secrets
                         (the whole evaluated file, hidden keys included); strings print raw,
                         anything else as JSON
  encrypt [options] FILE|-
                         encrypt a file (to the master keys, or with --node to that node's host
                         key, made if missing) and print it, or write it with -i / -o
  decrypt [options] FILE|-
                         decrypt a file with your age keys (or with --node, the node's host key)
  rekey                  after a master key or host key change: re-encrypt the master file and
                         host keys to the current .sops.yaml keys and per-node files to the
                         current host keys

Options:
  -n, --node NAME        encrypt/decrypt with the node's SSH host key instead of the master keys
  --in-type TYPE         input type: yaml, json, dotenv or binary (default: from the extension)
  --out-type TYPE        output type (default: the input type)
  -i, --in-place         write the result over the input file
  -o, --out FILE         write the result to FILE (- is stdout)
  --indent N             indentation of YAML/JSON output (encrypt default 2)
  --override-input NAME URL
                         passed to nix (e.g. to evaluate offline with local inputs); repeatable
  --flake DIR            ${FLAKE_OPTION_HELP}
  -h, --help             show this help

Master keys are read as sops reads them: SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, and
$XDG_CONFIG_HOME/sops/age/keys.txt (~/.config/sops/age/keys.txt); SOPS_AGE_SSH_PRIVATE_KEY_FILE
adds an ed25519 SSH key converted as ssh-to-age does. Files are sops 3.x files: sops and sops-nix
read ours and we read theirs (YAML, JSON, dotenv, binary; age keys only; YAML comments are not
carried over, INI is not supported).

Examples:
  nixverse-gen secrets edit
  EDITOR=nano nixverse-gen secrets edit
  nixverse-gen secrets edit --resume /tmp/nixverse-secrets-Ab12Cd/secrets.nix
  nixverse-gen secrets eval 'secrets.nodes.router1.pppoe.password'
  nixverse-gen secrets encrypt --node router1 -o nodes/routers/router1/secrets/fs/etc/ppp/chap-secrets chap-secrets
  nixverse-gen secrets decrypt --node router1 nodes/routers/router1/secrets.yaml
  nixverse-gen secrets decrypt --out-type binary secrets.yaml
  nixverse-gen secrets rekey
`;

/** Pulls `--override-input NAME URL` pairs out (parseArgs takes one value per option). */
function takeOverrides(args: string[]): { rest: string[]; overrides: Array<[string, string]> } {
  const rest: string[] = [];
  const overrides: Array<[string, string]> = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--override-input") {
      const name = args[i + 1];
      const url = args[i + 2];
      if (name === undefined || url === undefined)
        throw new UsageError("--override-input takes NAME and URL");
      overrides.push([name, url]);
      i += 2;
    } else rest.push(args[i] as string);
  }
  return { rest, overrides };
}

function formatOf(v: string | undefined, flag: string): SopsFormat | undefined {
  if (v === undefined) return undefined;
  if (!(SOPS_FORMATS as readonly string[]).includes(v)) {
    throw new UsageError(`${flag} must be one of ${SOPS_FORMATS.join(", ")}`);
  }
  return v as SopsFormat;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

/** Pages for the subcommands whose options differ most; the others fall back to the full page. */
const subHelp: Record<string, string> = {
  edit: `Usage: nixverse-gen secrets edit [--resume FILE] [--flake DIR]

Open the master secrets file (secrets.yaml, a sops-encrypted Nix expression) in $SOPS_EDITOR or
$EDITOR (vi), decrypted into a private temporary directory. On save it is evaluated; nodes that
receive secrets get an SSH host key and their own secrets.yaml, encrypted to that key only; the
master file is re-encrypted to the keys of .sops.yaml, and flake.nix is regenerated when the set
of nodes with secrets changed (it says so). On any error nothing is written and your edit is kept
(readable by you only) with the --resume command that continues from it.

Options:
  --resume FILE          continue from an edit kept by an earlier failed run
  --override-input NAME URL
                         passed to nix (e.g. to evaluate offline with local inputs); repeatable
  --flake DIR            ${FLAKE_OPTION_HELP}
  -h, --help             show this help

Examples:
  nixverse-gen secrets edit
  EDITOR=nano nixverse-gen secrets edit
  nixverse-gen secrets edit --resume /tmp/nixverse-secrets-Ab12Cd/secrets.nix
`,
  rekey: `Usage: nixverse-gen secrets rekey [--flake DIR]

After a master key or host key change: re-encrypt the master file and the host keys to the
current .sops.yaml keys, and every node's secrets.yaml to its current host key.

Options:
  --flake DIR            ${FLAKE_OPTION_HELP}
  -h, --help             show this help

Examples:
  nixverse-gen secrets rekey
`,
};

export const secrets: Command = {
  name: "secrets",
  summary: "edit, evaluate, encrypt, decrypt and rekey secrets (sops, age, SSH host keys)",
  help,
  helpFor: (args) => subHelp[args[0] ?? ""] ?? null,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const [sub, ...rawArgs] = argv;
    if (sub === undefined) {
      ctx.stderr.write(help);
      return 2;
    }
    const { rest, overrides } = takeOverrides(rawArgs);
    const { values, positionals } = parseOptions(
      rest,
      {
        flake: { type: "string" },
        resume: { type: "string" },
        node: { type: "string", short: "n" },
        "in-type": { type: "string" },
        "out-type": { type: "string" },
        "in-place": { type: "boolean", short: "i" },
        out: { type: "string", short: "o" },
        indent: { type: "string" },
      },
      true,
    );
    const root = await openFlakeDir(ctx, values.flake);
    const env = ctx.env;
    const nix: NixOptions = {
      root,
      overrideInputs: overrides,
      env: ctx.env,
      masterFile: "secrets.yaml",
    };
    // gen's own report (which files it rewrote) becomes part of the secrets command's outcome.
    const regenerate = async (): Promise<Outcome> => {
      let stdout = "";
      let stderr = "";
      const status = await gen.run(["--flake", root], {
        ...ctx,
        stdout: { write: (s) => void (stdout += s) },
        stderr: { write: (s) => void (stderr += s) },
      });
      return {
        status,
        messages: [
          { kind: "text", stream: "stdout", text: stdout },
          { kind: "text", stream: "stderr", text: stderr },
        ],
      };
    };
    // A signal ends the command once its workspace is gone: what it said, then the status.
    const onInterrupt: OnInterrupt = (signal, said) => {
      ctx.stderr.write("\n");
      printMessages(ctx, said, root);
      process.exit(exitStatusOf(signal));
    };
    const only = (allowed: string[]) => {
      for (const k of Object.keys(values)) {
        if (!allowed.includes(k) && k !== "flake")
          throw new UsageError(`--${k} does not apply to \`secrets ${sub}\``);
      }
    };
    switch (sub) {
      case "edit": {
        only(["resume"]);
        if (positionals.length) throw new UsageError("`secrets edit` takes no arguments");
        return printOutcome(
          ctx,
          await editSecrets({
            root,
            env,
            evaluator: flakeEvaluator(nix),
            resume: values.resume,
            regenerate,
            onInterrupt,
          }),
          root,
        );
      }
      case "rekey": {
        only([]);
        if (positionals.length) throw new UsageError("`secrets rekey` takes no arguments");
        return printOutcome(
          ctx,
          await rekeySecrets({
            root,
            env,
            evaluator: flakeEvaluator(nix),
            regenerate,
            onInterrupt,
          }),
          root,
        );
      }
      case "eval": {
        only([]);
        if (positionals.length !== 1)
          throw new UsageError("`secrets eval` takes one Nix expression");
        return printOutcome(
          ctx,
          await evalCommand({ root, env, expr: positionals[0] as string, nix, onInterrupt }),
          root,
        );
      }
      case "encrypt":
      case "decrypt": {
        only(["node", "in-type", "out-type", "in-place", "out", "indent"]);
        if (values["in-place"] && values.out !== undefined) {
          throw new UsageError("--in-place and --out can not both be specified");
        }
        if (positionals.length > 1) throw new UsageError("Only one file can be specified");
        if (positionals.length === 0)
          throw new UsageError(`\`secrets ${sub}\` needs a file (or - for stdin)`);
        const file = positionals[0] as string;
        if (values["in-place"] && file === "-")
          throw new UsageError("--in-place needs a file, not stdin");
        let indent: number | undefined;
        if (values.indent !== undefined) {
          indent = Number(values.indent);
          if (!Number.isInteger(indent) || indent < 0)
            throw new UsageError("--indent must specify a positive number");
        }
        const o: CryptOptions = {
          root,
          env,
          file,
          cwd: ctx.cwd,
          node: values.node,
          inType: formatOf(values["in-type"], "--in-type"),
          outType: formatOf(values["out-type"], "--out-type"),
          inPlace: Boolean(values["in-place"]),
          out: values.out,
          indent,
          readStdin,
          regenerate,
        };
        return printOutcome(
          ctx,
          await (sub === "encrypt" ? encryptCommand(o) : decryptCommand(o)),
          root,
        );
      }
      default:
        throw new UsageError(
          `unknown secrets command "${sub}"${didYouMean(sub, SUBCOMMANDS)} (edit, eval, encrypt, decrypt, rekey)`,
        );
    }
  },
};
