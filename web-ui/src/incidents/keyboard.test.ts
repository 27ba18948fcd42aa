import { describe, expect, it } from "vitest";
import { listKeyAction, moveCursor } from "./keyboard";

describe("listKeyAction", () => {
  it("maps the documented keys", () => {
    expect(["j", "k", "a", "r", "/", "?", "x", "p", "Enter", "Escape", "q"].map((key) => listKeyAction({ key }))).toEqual([
      "down",
      "up",
      "acknowledge",
      "resolve",
      "search",
      "help",
      "select",
      "pause",
      "open",
      "close",
      null,
    ]);
  });

  it("leaves typing and browser shortcuts alone", () => {
    const input = document.createElement("input");
    expect(listKeyAction({ key: "a", target: input })).toBeNull();
    expect(listKeyAction({ key: "Escape", target: input })).toBe("close");
    expect(listKeyAction({ key: "r", ctrlKey: true })).toBeNull();
    expect(listKeyAction({ key: "Enter", target: document.createElement("button") })).toBeNull();
  });
});

describe("moveCursor", () => {
  it("starts at an end and stays within the page", () => {
    expect(moveCursor(-1, 1, 3)).toBe(0);
    expect(moveCursor(-1, -1, 3)).toBe(2);
    expect(moveCursor(2, 1, 3)).toBe(2);
    expect(moveCursor(0, -1, 3)).toBe(0);
    expect(moveCursor(0, 1, 0)).toBe(-1);
  });
});
