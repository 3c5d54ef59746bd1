/**
 * The offline plan's `plan.json` (see DESIGN.md, "Offline plan"). The plan tool
 * writes it; the cost estimate, the diagrams and the policy runner read it.
 */

/** One resource the program registered, as the mock cloud answered it. */
export interface PlanResource {
    urn: string;
    /** Physical ID the mock returned; empty for component resources. */
    id: string;
    /** Pulumi type token, e.g. `aws:ec2/vpcEndpoint:VpcEndpoint`. */
    type: string;
    name: string;
    /** URN of the parent resource; absent for the root stack resource. */
    parent?: string;
    /** Resolved inputs as the provider would receive them. */
    inputs: Record<string, unknown>;
    /** What the mock cloud answered (IDs, ARNs, DNS names). */
    outputs: Record<string, unknown>;
}

/** One policy violation found while evaluating the pack's rules. */
export interface Violation {
    policy: string;
    enforcementLevel: "advisory" | "mandatory" | "remediate" | "disabled";
    /** URN of the offending resource; absent for stack-level findings. */
    urn?: string;
    message: string;
}

export interface Plan {
    project: string;
    stack: string;
    resources: PlanResource[];
    /** The stack's outputs. */
    outputs: Record<string, unknown>;
    violations: Violation[];
}
