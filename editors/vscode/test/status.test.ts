import { describe, expect, it } from "vitest";
import { RestartPolicy } from "../src/core/restart";
import { parseStatus, renderStatus } from "../src/core/status";

describe("status bar", () => {
  it("shows suppressed findings and the debt trend from teamlore.status", () => {
    const status = parseStatus({ findings: { active: 3, suppressed: 12, stale: 1 }, debt: { current: 140, monthly_change: 4.2 } });
    const view = renderStatus(status, { knownErrors: 2, findings: 3 });
    expect(view.text).toBe("teamlore $(shield) 12 suppressed $(warning) 1 stale $(checklist) 140↑ $(history) 2");
    expect(view.tooltip).toContain("+4.2 per month");
  });

  it("counts the server's diagnostics when the server has no status command", () => {
    expect(renderStatus(undefined, { knownErrors: 1, findings: 4 }).text).toBe("teamlore $(shield) 4 $(history) 1");
    expect(renderStatus(undefined, { knownErrors: 0, findings: 0 }).text).toBe("teamlore");
  });

  it("ignores results that are not a status", () => {
    expect(parseStatus("hello")).toBeUndefined();
    expect(parseStatus({ unrelated: 1 })).toBeUndefined();
  });
});

describe("RestartPolicy", () => {
  it("restarts up to the limit within the window, then stops and says so", () => {
    let now = 0;
    const policy = new RestartPolicy(2, 60_000, () => now);
    expect(policy.crashed().restart).toBe(true);
    now += 1000;
    expect(policy.crashed().restart).toBe(true);
    now += 1000;
    const third = policy.crashed();
    expect(third.restart).toBe(false);
    expect(third.message).toContain("will not be restarted");
  });

  it("forgets crashes older than the window", () => {
    let now = 0;
    const policy = new RestartPolicy(1, 60_000, () => now);
    policy.crashed();
    now += 61_000;
    expect(policy.crashed().restart).toBe(true);
  });
});
