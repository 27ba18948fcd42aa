import { afterEach, expect, it } from "vitest";
import { matchByUsername, rememberUserId, rememberedUserId, resolveMe } from "./me";

const ALICE = { id: "u1", name: "Alice Ops", email: "alice@example.com" };
const BOB = { id: "u2", name: "bob", email: "robert@example.com" };
const ALICE2 = { id: "u3", name: "Alice Two", email: "alice@other.example" };

afterEach(() => window.localStorage.clear());

it("matches a username to the one user by email, email local part or name", () => {
  expect(matchByUsername("alice@example.com", [ALICE, BOB])).toBe(ALICE);
  expect(matchByUsername("ALICE", [ALICE, BOB])).toBe(ALICE);
  expect(matchByUsername("Bob", [ALICE, BOB])).toBe(BOB);
  expect(matchByUsername("admin", [ALICE, BOB])).toBeNull();
  expect(matchByUsername("", [ALICE, BOB])).toBeNull();
});

it("asks rather than guesses when several users match", () => {
  expect(matchByUsername("alice", [ALICE, ALICE2])).toBeNull();
});

it("prefers the choice remembered for this account, while that user exists", () => {
  rememberUserId("alice", "u2");
  expect(rememberedUserId("alice")).toBe("u2");
  expect(rememberedUserId("someone-else")).toBeNull();
  expect(resolveMe("alice", [ALICE, BOB])).toEqual({ user: BOB, how: "remembered" });
  // The remembered user was deleted: back to the username match.
  expect(resolveMe("alice", [ALICE])).toEqual({ user: ALICE, how: "matched" });
  rememberUserId("alice", null);
  expect(rememberedUserId("alice")).toBeNull();
  expect(resolveMe("admin", [ALICE])).toEqual({ user: null, how: null });
});

it("a person linked to the account wins over the remembered choice and the name match", () => {
  const linkedBob = { ...BOB, console_account: "Alice" };
  rememberUserId("alice", "u3");
  expect(resolveMe("alice", [ALICE, linkedBob, ALICE2])).toEqual({ user: linkedBob, how: "linked" });
  expect(resolveMe("", [ALICE, linkedBob])).toEqual({ user: null, how: null });
});
