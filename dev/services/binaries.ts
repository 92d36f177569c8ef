import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";

/** Thrown when a service binary is missing and cannot be installed here; the message says how to fix it. */
export class MissingServiceError extends Error {
  override name = "MissingServiceError";
}

const INSTALL_HINT =
  "Install it with: sudo apt-get update && sudo apt-get install -y redis-server postgresql";

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

function locateOrInstall<T>(what: string, locate: () => T | undefined): T {
  const found = locate() ?? (installWithApt() ? locate() : undefined);
  if (found === undefined)
    throw new MissingServiceError(`Breakwater needs ${what}. ${INSTALL_HINT}`);
  return found;
}

/**
 * Path of redis-server, installing Debian's packages with apt-get when it is missing and this
 * process may do so; otherwise one clear MissingServiceError.
 */
export function redisServerBinary(): string {
  return locateOrInstall("redis-server", () => onPath("redis-server"));
}

/** Directory holding PostgreSQL's initdb and postgres; installs or explains like redisServerBinary. */
export function postgresBinDir(): string {
  return locateOrInstall("PostgreSQL (initdb, postgres)", findPostgresBin);
}
