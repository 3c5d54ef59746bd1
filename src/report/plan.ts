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
    /**
     * True for a resource the program reads rather than creates (a StackReference, a `.get`):
     * its values exist before the change, so a preview knows them.
     */
    read?: true;
    /** Resolved inputs as the provider would receive them. */
    inputs: Record<string, unknown>;
    /** What the mock cloud answered (IDs, ARNs, DNS names). */
    outputs: Record<string, unknown>;
    /** URNs of every resource this one depends on (inputs and `dependsOn`), as the SDK told the engine. */
    dependencies: string[];
    /** Per input, the URNs of the resources whose outputs feed it; inputs fed by none are left out. */
    propertyDependencies: Record<string, string[]>;
    /** Resource options the engine hands the policy analyzer, only those set; absent when none is. */
    options?: PlanResourceOptions;
}

/** The options in the engine's AnalyzerResourceOptions (parent is PlanResource.parent). */
export interface PlanResourceOptions {
    protect?: boolean;
    ignoreChanges?: string[];
    deleteBeforeReplace?: boolean;
    additionalSecretOutputs?: string[];
    /** Alias URNs given as URNs (alias specs by name/type are not resolved offline). */
    aliases?: string[];
    customTimeouts?: { createSeconds: number; updateSeconds: number; deleteSeconds: number };
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
