/**
 * Where the file store puts things. Every path is built from a validated
 * store key or a hash, and checked to stay inside the root (REL-46).
 */
import { createHash } from "node:crypto";
import { dirname, join, sep } from "node:path";
import { SessionStateError } from "../../core/errors.js";
import { isStoreKey } from "../../core/store.js";

const HEX_NAME = /^[0-9a-f]{86}$/;

/** Hex of the key's ASCII: injective, and safe on case-insensitive filesystems (REL-47). */
const fileNameOf = (key: string) => Buffer.from(key, "latin1").toString("hex");

/** The key a hex file name stands for, or null for any other name. */
function keyOfName(name: string): string | null {
  if (!HEX_NAME.test(name)) return null;
  const key = Buffer.from(name, "hex").toString("latin1");
  return isStoreKey(key) ? key : null;
}

function counterFileName(name: string): string {
  return createHash("sha256").update(name).digest("base64url");
}

export class FileLayout {
  readonly root: string;
  readonly sessionsDir: string;
  readonly usersDir: string;
  readonly countersDir: string;

  constructor(root: string) {
    this.root = root;
    this.sessionsDir = join(root, "sessions");
    this.usersDir = join(root, "users");
    this.countersDir = join(root, "counters");
  }

  /** A counter's file (login throttling): a SHA-256 of the name, so any name makes a safe file name. */
  counter(name: string): string {
    return this.#inside(this.countersDir, `${counterFileName(name)}.json`);
  }

  counterLock(name: string): string {
    return this.#inside(this.countersDir, `.${counterFileName(name)}.lock`);
  }

  /** A counter file's path and lock from its file name (the sweep knows no names), or null for any other file. */
  counterFile(fileName: string): { path: string; lock: string } | null {
    const m = /^([A-Za-z0-9_-]{43})\.json$/.exec(fileName);
    if (m === null) return null;
    return {
      path: this.#inside(this.countersDir, fileName),
      lock: this.#inside(this.countersDir, `.${m[1]}.lock`),
    };
  }

  /** The session file of a key. Throws for anything but a store key: callers check first. */
  session(key: string): string {
    return this.#inside(this.sessionsDir, `${fileNameOf(this.#checked(key))}.json`);
  }

  /** The lock file guarding a key's read-modify-write cycles. */
  lock(key: string): string {
    return this.#inside(this.sessionsDir, `.${fileNameOf(this.#checked(key))}.lock`);
  }

  /** The directory of a user's markers: a SHA-256 of the id, so any id makes a safe name. */
  userDir(userId: string): string {
    const name = createHash("sha256").update(userId).digest("base64url");
    return this.#inside(this.usersDir, name);
  }

  marker(userId: string, key: string): string {
    return this.#inside(this.userDir(userId), fileNameOf(this.#checked(key)));
  }

  keyOfFile(name: string): string | null {
    return name.endsWith(".json") ? keyOfName(name.slice(0, -5)) : null;
  }

  keyOfMarker(name: string): string | null {
    return keyOfName(name);
  }

  #checked(key: string): string {
    if (!isStoreKey(key)) throw new SessionStateError("file store: refused a malformed key");
    return key;
  }

  /** Belt and braces: names are hex or base64url already, but the path must not leave `dir`. */
  #inside(dir: string, name: string): string {
    const path = join(dir, name);
    if (dirname(path) !== dir || !path.startsWith(dir + sep)) {
      throw new SessionStateError("file store: path escapes the store directory");
    }
    return path;
  }
}
