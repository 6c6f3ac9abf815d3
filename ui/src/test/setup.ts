// Runs before every test file (after env.ts): a clean slate after each test,
// and a failure when a page called a command the test did not mock.
import { afterEach, expect } from "vitest";

import { resetBackend, unexpectedCalls } from "./harness";

afterEach(() => {
  const unexpected = unexpectedCalls();
  resetBackend();
  document.body.replaceChildren();
  history.replaceState(null, "", "/");
  expect(unexpected, "commands the pages called that the test did not mock").toEqual([]);
});
