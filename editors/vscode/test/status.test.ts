import { describe, expect, it } from "vitest";
import { RestartPolicy } from "../src/core/restart";
import { parseStatus, renderStatus, statusFromCli } from "../src/core/status";

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

describe("statusFromCli", () => {
  it("reads the security and debt reports' JSON", async () => {
    const calls: string[][] = [];
    const status = await statusFromCli(async (args) => {
      calls.push(args);
      if (args[0] === "security") {
        return { code: 0, stdout: JSON.stringify({ summary: { total: 9, suppressed: 6, active: 2, stale: 1 } }) };
      }
      return { code: 0, stdout: JSON.stringify({ current: 88, monthly_change: -1.5, method: "drift" }) };
    });
    expect(calls.map((a) => a.slice(0, 2).join(" ")).sort()).toEqual(["debt report", "security report"]);
    expect(calls.every((a) => a.includes("--json"))).toBe(true);
    expect(status).toEqual({ findings: { active: 2, suppressed: 6, stale: 1 }, debt: { current: 88, monthly_change: -1.5 } });
    expect(renderStatus(status, { knownErrors: 0, findings: 2 }).text).toBe(
      "teamlore $(shield) 6 suppressed $(warning) 1 stale $(checklist) 88↓",
    );
  });

  it("leaves out what the CLI could not report (no debt snapshot yet, CLI missing)", async () => {
    const status = await statusFromCli(async (args) => {
      if (args[0] === "debt") return { code: 2, stdout: "" };
      return { code: 0, stdout: JSON.stringify({ summary: { suppressed: 0, active: 0, stale: 0 } }) };
    });
    expect(status).toEqual({ findings: { active: 0, suppressed: 0, stale: 0 } });
    expect(await statusFromCli(async () => Promise.reject(new Error("ENOENT")))).toBeUndefined();
  });
});
