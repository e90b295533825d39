import { describe, expect, it } from "vitest";
import { redactToken } from "../../src/logger.js";

describe("log redaction", () => {
  it("removes bot tokens and /bot<token>/ URL segments", () => {
    const token = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
    const line = `Call to 'getUpdates' failed: https://api.telegram.org/bot${token}/getUpdates (token ${token})`;
    const out = redactToken(line);
    expect(out).not.toContain(token);
    expect(out).not.toContain("AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw");
    expect(out).toContain("getUpdates");
  });
});
