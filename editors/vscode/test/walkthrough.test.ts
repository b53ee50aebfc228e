import { describe, expect, it } from "vitest";
import { MARK_STEP_COMPLETE, markServerSteps, SERVER_STEPS, stepId, WALKTHROUGH } from "../src/core/walkthrough";

describe("walkthrough steps the running server completes", () => {
  it("marks the install and open steps done by their full ids", async () => {
    const calls: [string, string][] = [];
    await markServerSteps(
      async (command, step) => void calls.push([command, step]),
      () => {},
    );
    expect(calls).toEqual([
      [MARK_STEP_COMPLETE, "teamlore.teamlore#teamlore.start#install"],
      [MARK_STEP_COMPLETE, "teamlore.teamlore#teamlore.start#open"],
    ]);
    expect(stepId("install").startsWith(`${WALKTHROUGH}#`)).toBe(true);
  });

  it("reports a rejected step and still marks the next one, without throwing", async () => {
    const marked: string[] = [];
    const failed: [string, string][] = [];
    await markServerSteps(
      async (_command, step) => {
        if (step.endsWith("#install")) throw new Error("Attempting to access step which does not exist in registry");
        marked.push(step);
      },
      (step, error) => failed.push([step, String(error)]),
    );
    expect(failed).toEqual([["install", "Error: Attempting to access step which does not exist in registry"]]);
    expect(marked).toEqual([stepId("open")]);
    expect(SERVER_STEPS).toEqual(["install", "open"]);
  });
});
