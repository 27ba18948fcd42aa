import "@testing-library/jest-dom/vitest";
import { afterEach } from "vitest";
import { cleanup } from "@testing-library/react";
import { queryClient } from "../hooks";

afterEach(() => {
  cleanup();
  queryClient.clear(); // every test starts with an empty cache
  localStorage.clear();
});
