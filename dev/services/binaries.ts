import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";

/** Thrown when a service binary is missing and cannot be installed here; the message says how to fix it. */
export class MissingServiceError extends Error {
  override name = "MissingServiceError";
}

const INSTALL_HINT =
  "Install it with: sudo apt-get update && sudo apt-get install -y redis-server postgresql " +
  "(or run `bash dev/install-services.sh`).";

function onPath(command: string): string | undefined {
  try {
    return (
      execFileSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8" }).trim() || undefined
    );
  } catch {
    return undefined;
  }
}

/** Installs Debian's redis-server and postgresql when we are root on a Debian-like machine. */
function installWithApt(): boolean {
  if (process.getuid?.() !== 0 || !onPath("apt-get")) return false;
  console.error("[services] redis-server or postgresql is missing; installing with apt-get…");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execFileSync("apt-get", ["update"], { stdio: "inherit", env });
  execFileSync(
    "apt-get",
    ["install", "-y", "--no-install-recommends", "redis-server", "postgresql"],
    {
      stdio: "inherit",
      env,
    },
  );
  return true;
}

function findPostgresBin(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(`${root}/${v}/bin/postgres`))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] && `${root}/${versions[0]}/bin`;
}

export interface ServiceBinaries {
  redisServer: string;
  /** Directory holding initdb, postgres and pg_ctl. */
  postgresBin: string;
}

function find(): Partial<ServiceBinaries> {
  return { redisServer: onPath("redis-server"), postgresBin: findPostgresBin() };
}

/**
 * Locates redis-server and PostgreSQL's server binaries, installing them with apt-get when they
 * are missing and this process may do so. Otherwise throws one clear MissingServiceError.
 */
export function serviceBinaries(): ServiceBinaries {
  let found = find();
  if ((!found.redisServer || !found.postgresBin) && installWithApt()) found = find();
  const missing = [!found.redisServer && "redis-server", !found.postgresBin && "postgresql"].filter(
    Boolean,
  );
  if (missing.length > 0) {
    throw new MissingServiceError(`Breakwater needs ${missing.join(" and ")}. ${INSTALL_HINT}`);
  }
  return found as ServiceBinaries;
}
