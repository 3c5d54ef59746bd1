import type { Plan, PlanResource } from "../../src/report/plan";

/**
 * Hand-built plans for tests of what reads plan.json (the access matrix and its
 * classes): a resource with its inputs copied to its outputs, as the mock
 * cloud answers, plus what the test adds; and a plan of such resources.
 */
let seq = 0;

export function planResource(
    type: string,
    name: string,
    inputs: Record<string, unknown>,
    outputs: Record<string, unknown> = {},
    id = `${name}-id`,
): PlanResource {
    seq++;
    return {
        urn: `urn:pulumi:test::ecr-private-access::${type}::${name}-${seq}`,
        id,
        type,
        name,
        inputs,
        outputs: { ...inputs, ...outputs },
        dependencies: [],
        propertyDependencies: {},
    };
}

export function planOf(
    resources: PlanResource[],
    opts: { stack?: string; account: string; region: string },
): Plan {
    return {
        project: "ecr-private-access",
        stack: opts.stack ?? "synthetic",
        resources,
        outputs: { accountId: opts.account, region: opts.region },
        violations: [],
    };
}

/** A JSON policy document with these statements, as the program passes them. */
export const policyDocument = (...Statement: Record<string, unknown>[]) =>
    JSON.stringify({ Version: "2012-10-17", Statement });
