import type * as auth from "cloakroom-sessions/auth";

interface UserDirectory<U extends User = User> {
  findByUsername(username: string): Promise<UserCredentials | null>;
  findById(id: string): Promise<U | null>; // every guarded request: keep it an indexed lookup
  setPasswordHash(
    id: string,
    passwordHash: string,
    reason: "change" | "rehash",
    replacing?: string, // the hash a rehash verified: write only if it is still there
  ): Promise<void>;
  permissionsOf?(user: U): Promise<readonly string[]> | readonly string[];
}
interface UserCredentials {
  id: string;
  passwordHash: string;
  credentialVersion?: string | number;
}
interface User {
  id: string;
  username: string;
  roles: readonly string[];
  credentialVersion?: string | number;
}

// These are the library's own types: the type check fails if they drift apart.
type Same<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
export const same: [true, true, true] = [
  true as Same<UserDirectory, auth.UserDirectory>,
  true as Same<UserCredentials, auth.UserCredentials>,
  true as Same<User, auth.User>,
];
