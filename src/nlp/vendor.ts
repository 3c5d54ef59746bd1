import * as pulumi from "@pulumi/pulumi";
import { ConfigError, PROJECT } from "../config";

/** One repository in the vendor stack's `repositories` output (the vendor -> customer contract). */
export interface VendorRepository {
    arn: string;
    url: string;
    /** Repository URL per region: the home region and every replica. */
    urls: Record<string, string>;
}

/**
 * Picks the vendor image's repository URL for this stack's region out of the
 * vendor stack's outputs. Interface endpoints are regional: a private subnet
 * can only pull from a registry in its own region, so the vendor must
 * replicate into it. Pure, so the rules are tested without a StackReference.
 */
export function pickVendorRepository(
    outputs: { registryId?: unknown; repositories?: unknown },
    vendorStack: string,
    repository: string,
    region: string,
): { registryId: string; url: string } {
    const repos = (outputs.repositories ?? {}) as Record<string, VendorRepository>;
    const key = `${PROJECT}:nlp.vendorRepository`;
    if (typeof outputs.registryId !== "string" || typeof outputs.repositories !== "object") {
        throw new ConfigError([
            {
                key: `${PROJECT}:nlp.vendorStack`,
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
    const url = repo.urls?.[region];
    if (!url) {
        const regions = Object.keys(repo.urls ?? {})
            .sort()
            .join(", ");
        throw new ConfigError([
            {
                key,
                message: `"${repository}" is not available in ${region} (only in ${regions}); interface endpoints only reach their own region's registry, so add ${region} to the vendor's repositories.replicationRegions`,
            },
        ]);
    }
    return { registryId: outputs.registryId, url };
}

/** The vendor image's registry and URL for `region`, read through a StackReference. */
export function vendorImage(
    vendor: pulumi.StackReference,
    nlp: { vendorStack: string; vendorRepository: string },
    region: string,
): { registryId: pulumi.Output<string>; url: pulumi.Output<string> } {
    const picked = pulumi
        .all([vendor.requireOutput("registryId"), vendor.requireOutput("repositories")])
        .apply(([registryId, repositories]) =>
            pickVendorRepository(
                { registryId, repositories },
                nlp.vendorStack,
                nlp.vendorRepository,
                region,
            ),
        );
    return { registryId: picked.registryId, url: picked.url };
}
