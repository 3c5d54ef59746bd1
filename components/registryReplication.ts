import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { CreationTemplatePlan, ReplicatedRepository, replicationPlan } from "../src/ecr/policies";

export interface RegistryReplicationArgs {
    /**
     * Every replicated repository of one registry (account + home region),
     * usually the stack's SharedRepository components. Repositories with no
     * `replicationRegions` are ignored.
     */
    repositories: ReplicatedRepository[];
}

/**
 * Cross-region replication for one private registry. An interface endpoint
 * only serves its own region, so a workload in a private subnet of
 * us-west-2 cannot pull from a registry in us-east-2; a replica in us-west-2
 * can be pulled through the local `ecr.dkr` endpoint.
 *
 * A registry has exactly one replication configuration per region, so this
 * is a separate component, created once per stack with all repositories: it
 * owns (and overwrites) the registry's whole replication configuration in
 * the home region. Replication is by namespace: one PREFIX_MATCH filter
 * `<namespace>/` per namespace, so a repository outside the shared
 * namespaces is never replicated, whoever creates it. Each destination region
 * gets one repository creation template (`appliedFor: REPLICATION`) per
 * namespace, so replicas are created immutable, encrypted, with the lifecycle
 * policy and the same pull-only repository policy as the source. Never a
 * `ROOT` template (it would shape every top-level repository replicated into
 * that region, by this stack or not). Replicas get AES256, or KMS with the
 * region's AWS managed `aws/ecr` key when the source uses KMS (a KMS key is
 * regional, and a customer managed key in a template also needs a custom
 * role). Scan on push is a registry scanning setting that templates cannot
 * carry.
 */
export class RegistryReplication extends pulumi.ComponentResource {
    public readonly configuration?: aws.ecr.ReplicationConfiguration;
    public readonly templates: aws.ecr.RepositoryCreationTemplate[] = [];

    constructor(
        name: string,
        args: RegistryReplicationArgs,
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super("ecr-private-access:ecr:RegistryReplication", name, {}, opts);
        const plan = replicationPlan(args.repositories);
        if (plan) {
            for (const t of plan.templates) {
                // `/` -> `--` cannot collide: ECR names never hold two separators in a row.
                const prefixName = t.prefix.replace(/\//g, "--");
                this.templates.push(
                    new aws.ecr.RepositoryCreationTemplate(
                        `${name}-${t.region}-${prefixName}`,
                        {
                            region: t.region,
                            prefix: t.prefix,
                            appliedFors: ["REPLICATION"],
                            description: templateDescription(t, plan.region),
                            imageTagMutability: "IMMUTABLE",
                            encryptionConfigurations: [
                                { encryptionType: t.kmsEncrypted ? "KMS" : "AES256" },
                            ],
                            lifecyclePolicy: t.lifecyclePolicy,
                            repositoryPolicy: t.repositoryPolicy,
                        },
                        { parent: this },
                    ),
                );
            }
            this.configuration = new aws.ecr.ReplicationConfiguration(
                name,
                { region: plan.region, replicationConfiguration: { rules: plan.rules } },
                // Templates only shape repositories created after they exist,
                // so replication starts once they are in place.
                { parent: this, dependsOn: this.templates },
            );
        }
        this.registerOutputs({});
    }
}

/** CreateRepositoryCreationTemplate accepts at most 256 characters of description. */
function templateDescription(t: CreationTemplatePlan, sourceRegion: string): string {
    const full = `Replicas of ${t.prefix}/* from ${sourceRegion} (shared namespace)`;
    return full.length <= 256 ? full : `Replicas of a shared namespace from ${sourceRegion}`;
}
