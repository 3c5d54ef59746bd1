import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
    assertAccountId,
    assertRegionName,
    assertRepositoryName,
    assertRepositoryPolicySize,
    LifecycleSettings,
    lifecyclePolicyDocument,
    partitionOf,
    policyText,
    RepositoryConsumers,
    repositoryArn,
    repositoryPolicyDocument,
    repositoryUrl,
} from "../src/ecr/policies";
import { namespaceOf, PullGrant } from "../src/ecr/sharing";

export interface SharedRepositoryArgs {
    /**
     * The ECR repository name, e.g. `rake-app` or `nlp/rake-app` (`/` makes
     * namespaces). Warning: changing it replaces the repository; the old one
     * is kept in AWS (with its images) when `retainOnDelete` is on.
     */
    name: string;
    /** The 12-digit account that owns the repository (the stack's `accountId`). */
    accountId: string;
    /**
     * The repository's home region (a @pulumi/aws v7 per-resource region).
     * Warning: changing it creates a new, empty repository in the new region.
     */
    region: string;
    /**
     * Who may pull from another account. Consumers only ever get
     * `ecr:BatchGetImage`, `ecr:GetDownloadUrlForLayer` and
     * `ecr:BatchCheckLayerAvailability`; they also need `ecr:GetAuthorizationToken`
     * in their own identity policies. With many accounts, prefer
     * `organizationId` or `organizationalUnitPaths`: the repository policy is
     * limited to 10,240 characters. A repository with consumers must be in a
     * namespace (`<namespace>/<name>`): the namespace is the unit of sharing.
     * @default no consumers (and no repository policy unless `codeBuild`)
     */
    consumers?: RepositoryConsumers;
    /**
     * Let CodeBuild projects of `accountId` pull build images from the
     * repository (service principal `codebuild.amazonaws.com`, restricted by
     * `aws:SourceAccount`). Pushing from a build needs the project's role to
     * have the push actions in its identity policy instead.
     * @default false
     */
    codeBuild?: boolean;
    /** Image expiry: untagged age, images kept, release tag patterns that never expire. */
    lifecycle: LifecycleSettings;
    /**
     * A customer managed KMS key (in `region`) to encrypt images with;
     * without it images are encrypted with AES256 (S3-managed keys).
     * Warning: ECR cannot change a repository's encryption; changing this
     * replaces the repository.
     * @default AES256
     */
    kmsKeyArn?: string;
    /**
     * Regions where ECR keeps a read-only copy, so that workloads in those
     * regions pull through their own regional endpoints. This only computes
     * the replica URLs and ARNs: the copies are made by the registry-wide
     * replication configuration, see RegistryReplication. A replicated
     * repository must be in a namespace.
     * @default []
     */
    replicationRegions?: string[];
    /**
     * Keep the repository, and every image in it, in AWS when it leaves the
     * program (removed from config, renamed, replaced, or `pulumi destroy`):
     * Pulumi only forgets it. Routine changes still go through. The
     * repository and lifecycle policies are not retained: a forgotten
     * repository keeps its images but nobody outside the account can pull.
     * @default true
     */
    retainOnDelete?: boolean;
    /**
     * Pulumi `protect`: any update that would delete or replace the
     * repository, and `pulumi destroy` of the stack, fails until the flag is
     * removed. Stronger than `retainOnDelete` and blocks the whole
     * deployment, so it is opt-in, for production registries.
     * @default false
     */
    protect?: boolean;
    tags?: Record<string, string>;
}

const NO_CONSUMERS: RepositoryConsumers = {};
const grants = new WeakMap<RepositoryConsumers, PullGrant>();

/** The contract's view of a consumers block; one object per block, so repositories sharing it compare by identity. */
function pullGrantOf(consumers: RepositoryConsumers = NO_CONSUMERS): PullGrant {
    let grant = grants.get(consumers);
    if (!grant) {
        grant = {
            accounts: [...new Set(consumers.accounts ?? [])],
            roleArns: [...new Set(consumers.roleArns ?? [])],
            ...(consumers.organizationId !== undefined
                ? { organizationId: consumers.organizationId }
                : {}),
            organizationalUnitPaths: [...new Set(consumers.organizationalUnitPaths ?? [])],
        };
        grants.set(consumers, grant);
    }
    return grant;
}

/**
 * An ECR repository meant to be shared: immutable tags, scan on push,
 * encryption, a lifecycle policy that never expires release images, and a
 * repository policy with pull-only grants for consumers. The publisher's own
 * people push through identity policies (see DeveloperAccess).
 */
export class SharedRepository extends pulumi.ComponentResource {
    /** The ECR repository name. */
    public readonly name: string;
    public readonly accountId: string;
    /** Home region. */
    public readonly region: string;
    public readonly replicationRegions: string[];
    public readonly repository: aws.ecr.Repository;
    public readonly arn: pulumi.Output<string>;
    /** Home-region URL, `<account>.dkr.ecr.<region>.amazonaws.com/<name>`. */
    public readonly url: pulumi.Output<string>;
    /** The URL in every region that holds the images: home and replicas. */
    public readonly urls: Record<string, pulumi.Output<string>>;
    /** ARNs of the replicas (read-only copies) the registry replication creates. */
    public readonly replicaArns: string[];
    /** The repository policy text, or undefined when nothing is granted. */
    public readonly repositoryPolicy?: string;
    /** The lifecycle policy text. */
    public readonly lifecyclePolicy: string;
    /** Tag patterns the lifecycle policy never expires. */
    public readonly releaseTagPatterns: string[];
    /** Who may pull from other accounts (in every region that holds the images). */
    public readonly pullGrant: PullGrant;
    public readonly kmsEncrypted: boolean;

    constructor(name: string, args: SharedRepositoryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ecr-private-access:ecr:SharedRepository", name, {}, opts);
        // Validate everything before registering any child.
        assertRepositoryName(args.name, "name");
        assertAccountId(args.accountId, "accountId");
        assertRegionName(args.region, "region");
        const replicationRegions = [...new Set(args.replicationRegions ?? [])];
        replicationRegions.forEach((r, i) => {
            assertRegionName(r, `replicationRegions[${i}]`);
            if (r === args.region) {
                throw new Error(
                    `\`replicationRegions[${i}]\` ${r} is the repository's own region.`,
                );
            }
            if (partitionOf(r) !== partitionOf(args.region)) {
                throw new Error(
                    `\`replicationRegions[${i}]\` ${r} is in another AWS partition than ${args.region}; ECR cannot replicate across partitions.`,
                );
            }
        });
        if (args.kmsKeyArn !== undefined) {
            const m = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):\d{12}:key\/[0-9a-f-]+$/.exec(
                args.kmsKeyArn,
            );
            if (!m) {
                throw new Error(
                    `\`kmsKeyArn\` "${args.kmsKeyArn}" is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>).`,
                );
            }
            if (m[1] !== args.region) {
                throw new Error(
                    `\`kmsKeyArn\` is a key in ${m[1]}; ECR needs a key in the repository's region ${args.region}.`,
                );
            }
        }
        const policyDoc = repositoryPolicyDocument({
            accountId: args.accountId,
            consumers: args.consumers,
            codeBuild: args.codeBuild,
        });
        if (policyDoc) assertRepositoryPolicySize(policyDoc, args.name, args.consumers);
        const pullGrant = pullGrantOf(args.consumers);
        const shared =
            pullGrant.accounts.length + pullGrant.roleArns.length > 0 ||
            pullGrant.organizationId !== undefined ||
            pullGrant.organizationalUnitPaths.length > 0;
        // Replication filters and creation templates match by prefix: only a
        // namespace (`team/` and template `team`) keeps other repositories out.
        if ((shared || replicationRegions.length > 0) && namespaceOf(args.name) === undefined) {
            throw new Error(
                `\`name\` "${args.name}" is shared (consumers or replicationRegions) but not in a namespace; name it <namespace>/${args.name}.`,
            );
        }
        const lifecycleText = JSON.stringify(lifecyclePolicyDocument(args.lifecycle));

        this.name = args.name;
        this.accountId = args.accountId;
        this.region = args.region;
        this.replicationRegions = replicationRegions;
        this.repositoryPolicy = policyDoc && policyText(policyDoc);
        this.lifecyclePolicy = lifecycleText;
        this.releaseTagPatterns = [...args.lifecycle.releaseTagPatterns];
        this.pullGrant = pullGrant;
        this.kmsEncrypted = args.kmsKeyArn !== undefined;

        const region = args.region;
        this.repository = new aws.ecr.Repository(
            name,
            {
                name: args.name,
                region,
                imageTagMutability: "IMMUTABLE",
                imageScanningConfiguration: { scanOnPush: true },
                encryptionConfigurations: [
                    args.kmsKeyArn === undefined
                        ? { encryptionType: "AES256" }
                        : { encryptionType: "KMS", kmsKey: args.kmsKeyArn },
                ],
                // Deleting a repository that still holds images must be a
                // deliberate act outside this program.
                forceDelete: false,
                tags: { ...args.tags, Name: args.name },
            },
            {
                parent: this,
                retainOnDelete: args.retainOnDelete ?? true,
                protect: args.protect ?? false,
            },
        );

        new aws.ecr.LifecyclePolicy(
            `${name}-lifecycle`,
            { repository: this.repository.name, region, policy: lifecycleText },
            { parent: this },
        );
        if (this.repositoryPolicy !== undefined) {
            new aws.ecr.RepositoryPolicy(
                `${name}-policy`,
                { repository: this.repository.name, region, policy: this.repositoryPolicy },
                { parent: this },
            );
        }

        this.arn = this.repository.arn;
        this.url = this.repository.repositoryUrl;
        this.urls = { [region]: this.url };
        for (const r of replicationRegions) {
            this.urls[r] = pulumi.output(repositoryUrl(args.accountId, r, args.name));
        }
        this.replicaArns = replicationRegions.map((r) =>
            repositoryArn(args.accountId, r, args.name),
        );

        this.registerOutputs({ arn: this.arn, url: this.url, urls: this.urls });
    }
}

/** One repository as the contract between the vendor and customer stacks describes it. */
export interface RepositoryContract {
    arn: pulumi.Output<string>;
    url: pulumi.Output<string>;
    /** The URL in every region that holds the images (home and replicas). */
    urls: Record<string, pulumi.Output<string>>;
    /** Tags the lifecycle policy never expires: a consumer deploys only such tags. */
    releaseTagPatterns: string[];
    /** Per region that holds the images: the name of its entry in `pullGrants`. */
    pull: Record<string, string>;
}

/** The key of the stack's consumers in `pullGrants` (the `repositories.consumers` block). */
export const CONSUMERS_GRANT = "consumers";

/**
 * The stack outputs other stacks read through a StackReference (README,
 * "Sharing images across accounts"):
 * `{ registryId, region, pullGrants: { consumers: PullGrant }, repositories:
 * { [name]: { arn, url, urls: { [region]: url }, releaseTagPatterns, pull: { [region]: "consumers" } } } }`.
 * Who may pull is given once in `pullGrants` and referenced per repository
 * and region, so the outputs stay linear in the number of repositories
 * whatever the number of consumer accounts.
 */
export function registryContract(repositories: SharedRepository[]): {
    registryId: string;
    region: string;
    pullGrants: Record<string, PullGrant>;
    repositories: Record<string, RepositoryContract>;
} {
    if (repositories.length === 0) {
        throw new Error("`repositories` must hold at least one SharedRepository.");
    }
    const { accountId, region, pullGrant } = repositories[0];
    const grantText = JSON.stringify(pullGrant);
    const entries: Record<string, RepositoryContract> = {};
    for (const repo of repositories) {
        if (repo.accountId !== accountId || repo.region !== region) {
            throw new Error(
                `\`repositories\` span registries: ${repo.name} is in ${repo.accountId}/${repo.region}, ${repositories[0].name} in ${accountId}/${region}.`,
            );
        }
        if (entries[repo.name]) {
            throw new Error(`\`repositories\` lists ${repo.name} twice.`);
        }
        if (repo.pullGrant !== pullGrant && JSON.stringify(repo.pullGrant) !== grantText) {
            throw new Error(
                `\`repositories\` ${repo.name} and ${repositories[0].name} have different consumers; one contract has one set of consumers.`,
            );
        }
        const pull: Record<string, string> = {};
        for (const r of Object.keys(repo.urls)) pull[r] = CONSUMERS_GRANT;
        entries[repo.name] = {
            arn: repo.arn,
            url: repo.url,
            urls: repo.urls,
            releaseTagPatterns: repo.releaseTagPatterns,
            pull,
        };
    }
    return {
        registryId: accountId,
        region,
        pullGrants: { [CONSUMERS_GRANT]: pullGrant },
        repositories: entries,
    };
}
