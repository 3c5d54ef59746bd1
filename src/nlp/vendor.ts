import * as pulumi from "@pulumi/pulumi";
import { ConfigError, ConfigIssue, PROJECT } from "../config";
import { accountAccess, isReleaseTag, PullGrant, stackFileOf } from "../ecr/sharing";

/** One repository in the vendor stack's `repositories` output (the vendor -> customer contract). */
export interface VendorRepository {
    arn: string;
    url: string;
    /** Repository URL per region: the home region and every replica. */
    urls: Record<string, string>;
    /** Tags the vendor's lifecycle policy never expires. */
    releaseTagPatterns?: string[];
    /** Per region that holds the images: the key of its grant in the contract's `pullGrants`. */
    pull?: Record<string, string>;
}

/** What the consumer stack knows about itself, to check the vendor's grant. */
export interface Consumer {
    /** The consumer stack's account (`accountId`). */
    accountId: string;
    /** The account's AWS Organizations path (`nlp.organizationPath`), when given. */
    organizationPath?: string;
    /** The vendor image tag the stack deploys (`nlp.imageTags.rakeApp`). */
    imageTag: string;
}

const k = (name: string) => `${PROJECT}:${name}`;

/**
 * Picks the vendor image's repository URL for this stack's region out of the
 * vendor stack's outputs, and checks the contract the way AWS would at pull
 * time: interface endpoints are regional, so the vendor must replicate into
 * this region; the vendor's repository policy must grant this account (its
 * root, its organization or one of its OUs); and the deployed tag must be a
 * release tag of the vendor's lifecycle policy, or the image expires under the
 * running service. Every failure names the consumer's key, the vendor's stack
 * file and the exact key to change there. Pure, so the rules are tested
 * without a StackReference.
 */
export function pickVendorRepository(
    outputs: { registryId?: unknown; repositories?: unknown; pullGrants?: unknown },
    vendorStack: string,
    repository: string,
    region: string,
    consumer?: Consumer,
): { registryId: string; url: string; arn: string; region: string; name: string } {
    const repos = (outputs.repositories ?? {}) as Record<string, VendorRepository>;
    const key = k("nlp.vendorRepository");
    const vendorFile = stackFileOf(vendorStack);
    if (typeof outputs.registryId !== "string" || typeof outputs.repositories !== "object") {
        throw new ConfigError([
            {
                key: k("nlp.vendorStack"),
                message: `${vendorStack} exports no registryId/repositories; is it a vendor stack of this project?`,
            },
        ]);
    }
    const repo = repos[repository];
    if (!repo) {
        const known = Object.keys(repos).sort().join(", ") || "none";
        throw new ConfigError([
            {
                key,
                message: `"${repository}" is not a repository of ${vendorStack} (it shares: ${known})`,
            },
        ]);
    }
    const issues: ConfigIssue[] = [];
    const url = repo.urls?.[region];
    if (!url) {
        const regions = Object.keys(repo.urls ?? {})
            .sort()
            .join(", ");
        issues.push({
            key,
            message: `"${repository}" is not available in ${region} (only in ${regions}); interface endpoints only reach their own region's registry, so add ${region} to the vendor's repositories.replicationRegions (${k("repositories.replicationRegions")} in ${vendorFile})`,
        });
    }
    if (consumer) {
        issues.push(...grantIssues(outputs, repo, vendorStack, repository, region, consumer));
        const patterns = repo.releaseTagPatterns;
        if (!Array.isArray(patterns)) {
            issues.push({
                key: k("nlp.vendorStack"),
                message: `${vendorStack} exports no releaseTagPatterns for "${repository}"; update and deploy the vendor stack first, so that the deployed tag can be checked against its lifecycle policy`,
            });
        } else if (!isReleaseTag(consumer.imageTag, patterns)) {
            issues.push({
                key: k("nlp.imageTags.rakeApp"),
                message: `"${consumer.imageTag}" matches none of the vendor's release tag patterns for "${repository}" (${patterns.join(", ")}): its lifecycle policy would expire the image this service runs once newer images arrive; deploy a release tag, or have the vendor add a pattern to ${k("repositories.lifecycle.releaseTagPatterns")} in ${vendorFile}`,
            });
        }
    }
    if (issues.length > 0) throw new ConfigError(issues);
    const arn = String(repo.arn ?? "").replace(/^(arn:[^:]+:ecr:)[^:]+:/, `$1${region}:`);
    return { registryId: outputs.registryId, url: url!, arn, region, name: repository };
}

function grantIssues(
    outputs: { pullGrants?: unknown },
    repo: VendorRepository,
    vendorStack: string,
    repository: string,
    region: string,
    consumer: Consumer,
): ConfigIssue[] {
    const key = k("nlp.vendorRepository");
    const vendorFile = stackFileOf(vendorStack);
    const grants = (outputs.pullGrants ?? undefined) as Record<string, PullGrant> | undefined;
    // Grants are the same in every region (replicas get the source's policy
    // through the creation template): use this region's, else the home one's.
    const ref = repo.pull?.[region] ?? Object.values(repo.pull ?? {})[0];
    const grant = ref !== undefined ? grants?.[ref] : undefined;
    if (!grant || !Array.isArray(grant.accounts)) {
        return [
            {
                key: k("nlp.vendorStack"),
                message: `${vendorStack} exports no pull grants for "${repository}" (pullGrants); update and deploy the vendor stack first, so that this account's access can be checked`,
            },
        ];
    }
    const verdict = accountAccess(
        {
            accounts: grant.accounts,
            roleArns: grant.roleArns ?? [],
            organizationId: grant.organizationId,
            organizationalUnitPaths: grant.organizationalUnitPaths ?? [],
        },
        consumer.accountId,
        consumer.organizationPath,
    );
    if (verdict.granted) return [];
    const notes: string[] = [];
    if (verdict.roleOnly) {
        notes.push(
            "it grants only listed roles of this account, and the service's task execution role is not one of them",
        );
    }
    if (verdict.organizationUnverified) {
        const orgs = [
            ...(grant.organizationId ? [`organization ${grant.organizationId}`] : []),
            ...(grant.organizationalUnitPaths ?? []).map((p) => `OU ${p}`),
        ].join(", ");
        notes.push(
            `it grants ${orgs}; if this account is a member, set ${k("nlp.organizationPath")} to its path (o-.../r-.../ou-.../) so the plan can verify it`,
        );
    }
    return [
        {
            key,
            message:
                `account ${consumer.accountId} (${k("accountId")}) may not pull "${repository}" in ${region}: ${vendorStack}'s repository policy does not grant it` +
                (notes.length > 0 ? ` (${notes.join("; ")})` : "") +
                `; add "${consumer.accountId}" to ${k("repositories.consumers.accounts")} in ${vendorFile}` +
                ` (or grant its organization with repositories.consumers.organizationId or organizationalUnitPaths)`,
        },
    ];
}

/**
 * The vendor image's registry, URL and replica ARN for `region`, read through a
 * StackReference. With `consumer`, the vendor's grant and release patterns are
 * checked too (a ConfigError while the program runs: the plan exits 2).
 */
export function vendorImage(
    vendor: pulumi.StackReference,
    nlp: { vendorStack: string; vendorRepository: string },
    region: string,
    consumer?: Consumer,
): {
    registryId: pulumi.Output<string>;
    url: pulumi.Output<string>;
    /** The repository's ARN in `region` (the replica the service pulls). */
    arn: pulumi.Output<string>;
    region: string;
    name: string;
} {
    const picked = pulumi
        .all([
            vendor.requireOutput("registryId"),
            vendor.requireOutput("repositories"),
            vendor.getOutput("pullGrants"),
        ])
        .apply(([registryId, repositories, pullGrants]) =>
            pickVendorRepository(
                { registryId, repositories, pullGrants },
                nlp.vendorStack,
                nlp.vendorRepository,
                region,
                consumer,
            ),
        );
    return {
        registryId: picked.registryId,
        url: picked.url,
        arn: picked.arn,
        region,
        name: nlp.vendorRepository,
    };
}
