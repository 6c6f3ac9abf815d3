import { describe, expect, it } from "vitest";
import { relativeTime } from "./format";

describe("relativeTime", () => {
  const now = new Date("2026-11-25T12:00:00Z");
  it("reads naturally", () => {
    expect(relativeTime("2026-11-25T11:59:50Z", now)).toBe("just now");
    expect(relativeTime("2026-11-25T11:57:00Z", now)).toBe("3 minutes ago");
    expect(relativeTime("2026-11-25T11:00:00Z", now)).toBe("1 hour ago");
    expect(relativeTime("2026-11-24T10:00:00Z", now)).toBe("yesterday");
    expect(relativeTime("2026-11-20T12:00:00Z", now)).toBe("5 days ago");
    expect(relativeTime("2026-10-01T12:00:00Z", now)).toBe("2026-10-01");
  });
  it("ignores what is not a time", () => {
    expect(relativeTime("soon", now)).toBe("");
  });
});
