// Every rule of the pack. Tests and the offline policy runner import this module; only
// ../index.ts constructs the PolicyPack (constructing one starts the analyzer's gRPC server).
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { dnsPolicies } from "./dns";
import { ecrPolicies } from "./ecr";
import { ecsPolicies } from "./ecs";
import { iamPolicies } from "./iam";
import { lbPolicies } from "./lb";
import { networkPolicies } from "./network";

export type Policy = ResourceValidationPolicy | StackValidationPolicy;

export const policyPackName = "ecr-private-access";

/** Every policy, each carrying its default enforcement level. */
export const allPolicies: Policy[] = [
    ...dnsPolicies,
    ...ecrPolicies,
    ...networkPolicies,
    ...ecsPolicies,
    ...lbPolicies,
    ...iamPolicies,
];
