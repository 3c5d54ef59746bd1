// The pack's entry point, run by `pulumi preview --policy-pack policies`. It is the only file that
// constructs the PolicyPack: doing so starts the analyzer's gRPC server and keeps the process alive.
import { PolicyPack } from "@pulumi/policy";
import { allPolicies, policyPackName } from "./rules";

new PolicyPack(policyPackName, {
    description:
        "Private, least-privilege access to Amazon ECR: ECR DNS through endpoints, no zones that capture other AWS names, locked-down repositories, endpoints, tasks and listeners.",
    policies: allPolicies,
});
