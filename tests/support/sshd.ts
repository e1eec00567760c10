// A real OpenSSH server on 127.0.0.1 for the runner tests (TESTING.md "SSH on loopback"): its
// own host and client keys in a temp dir, started and stopped by PID.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export const SSHD = "/usr/sbin/sshd";

/** Why no test sshd can run here, or null. */
export function sshdMissing(): string | null {
  if (!existsSync(SSHD)) return "sshd is not installed (apt-get install -y openssh-server)";
  if (spawnSync("ssh-keygen", ["-?"]).error) return "ssh-keygen is not installed";
  if (process.getuid?.() !== 0) return "the loopback sshd runs as root";
  return null;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

export async function waitForPort(port: number, ms = 10000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, "127.0.0.1", () => {
        c.end();
        resolve(true);
      });
      c.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`sshd did not listen on ${port}`);
}

export interface Sshd {
  port: number;
  dir: string;
  /** ssh -o options that log in as root with the test key. */
  sshOpts: string[];
  stop(): void;
}

/** Starts sshd on a free loopback port; `acceptEnv` names variables a client may send. */
export async function startSshd(acceptEnv: string[] = []): Promise<Sshd> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "nixverse-sshd-"));
  const port = await freePort();
  const k = (f: string) => path.join(dir, f);
  spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", k("host_key")]);
  spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", k("client_key")]);
  writeFileSync(k("authorized_keys"), readFileSync(k("client_key.pub")));
  writeFileSync(
    k("sshd_config"),
    [
      "ListenAddress 127.0.0.1",
      `Port ${port}`,
      `HostKey ${k("host_key")}`,
      `PidFile ${k("sshd.pid")}`,
      `AuthorizedKeysFile ${k("authorized_keys")}`,
      "StrictModes no",
      "UsePAM no",
      "PasswordAuthentication no",
      "PermitRootLogin prohibit-password",
      "MaxStartups 100:30:200",
      "MaxSessions 100",
      ...(acceptEnv.length ? [`AcceptEnv ${acceptEnv.join(" ")}`] : []),
      "",
    ].join("\n"),
  );
  mkdirSync("/run/sshd", { recursive: true });
  const proc: ChildProcess = spawn(SSHD, ["-D", "-e", "-f", k("sshd_config")], {
    stdio: "ignore",
  });
  await waitForPort(port);
  return {
    port,
    dir,
    sshOpts: [
      `Port=${port}`,
      `IdentityFile=${k("client_key")}`,
      `UserKnownHostsFile=${k("known_hosts")}`,
      "StrictHostKeyChecking=accept-new",
      "BatchMode=yes",
    ],
    stop: () => {
      if (proc.pid) process.kill(proc.pid, "SIGTERM");
    },
  };
}
