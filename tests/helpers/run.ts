import type * as pulumi from "@pulumi/pulumi";
import { runStack, StackRun } from "../../tools/runStack";
import type { PlanResource } from "../../src/report/plan";

/**
 * Runs a function that builds resources under Pulumi's mock runtime with the
 * project's mock cloud, and returns every registered resource with its
 * resolved inputs (as the provider would receive them) and the mock's outputs,
 * plus the function's return value resolved as stack outputs. Assert on these
 * values: they are real, awaited results.
 */
export interface RunOptions {
    account?: string;
    region?: string;
    stack?: string;
    config?: Record<string, string>;
    stackOutputs?: Record<string, Record<string, unknown>>;
    /** Sees each registration's raw inputs, secrets in the clear. */
    onResource?: (args: pulumi.runtime.MockResourceArgs) => void;
}

export interface TestRun extends StackRun {
    /** Resources of one type token. */
    ofType(type: string): PlanResource[];
    /** The single resource of a type (and, optionally, logical name); throws if not exactly one. */
    one(type: string, name?: string): PlanResource;
}

export async function run(program: () => unknown, opts: RunOptions = {}): Promise<TestRun> {
    const result = await runStack({
        project: "ecr-private-access",
        stack: opts.stack ?? "test",
        account: opts.account ?? "444455556666",
        region: opts.region ?? "us-west-2",
        config: { "aws:region": opts.region ?? "us-west-2", ...opts.config },
        stackOutputs: opts.stackOutputs,
        onResource: opts.onResource,
        program,
    });
    const ofType = (type: string) => result.resources.filter((r) => r.type === type);
    return {
        ...result,
        ofType,
        one(type: string, name?: string) {
            const found = ofType(type).filter((r) => name === undefined || r.name === name);
            if (found.length !== 1) {
                throw new Error(
                    `expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`,
                );
            }
            return found[0];
        },
    };
}

/** Parses a JSON policy document input (policies travel as strings). */
export function policyDoc(value: unknown): { Version: string; Statement: any[] } {
    if (typeof value !== "string")
        throw new Error(`policy is not a JSON string: ${JSON.stringify(value)}`);
    return JSON.parse(value);
}
