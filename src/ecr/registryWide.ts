import type { Plan, PlanResource } from "../report/plan";

/**
 * Settings that exist once per private registry (an account in a region), not
 * per repository. A stack that declares one owns it: `pulumi up` replaces what
 * was set outside the stack, and `pulumi destroy` removes it. Two stacks that
 * own the same one overwrite each other on every run.
 *
 * - the replication configuration (PutReplicationConfiguration replaces all rules);
 * - a repository creation template, per prefix;
 * - the registry policy (PutRegistryPolicy replaces it);
 * - a pull-through cache rule, per repository prefix;
 * - the registry scanning configuration.
 */
const OWNED: Record<
    string,
    { what: string; configKey: string; key?: (r: PlanResource) => string | undefined }
> = {
    "aws:ecr/replicationConfiguration:ReplicationConfiguration": {
        what: "replication configuration",
        configKey: "repositories.replicationRegions",
    },
    "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate": {
        what: "repository creation template",
        configKey: "repositories.names",
        key: (r) => str(r.inputs.prefix),
    },
    "aws:ecr/registryPolicy:RegistryPolicy": {
        what: "registry policy",
        configKey: "pullThroughCache",
    },
    "aws:ecr/pullThroughCacheRule:PullThroughCacheRule": {
        what: "pull-through cache rule",
        configKey: "pullThroughCache",
        key: (r) => str(r.inputs.ecrRepositoryPrefix),
    },
    "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration": {
        what: "registry scanning configuration",
        configKey: "repositories",
    },
};

const str = (v: unknown) => (typeof v === "string" ? v : undefined);

/** One registry-wide setting a stack owns. */
export interface RegistrySetting {
    /** `<account>/<region> <what>[ <key>]`: two stacks with the same id overwrite each other. */
    id: string;
    /** What it is, for messages: `replication configuration`, `repository creation template shared`. */
    label: string;
    account: string;
    region: string;
    urn: string;
    /** The config key that makes the stack declare it (`ecr-private-access:repositories.replicationRegions`). */
    configKey: string;
}

/** The registry-wide settings a planned stack declares. */
export function registrySettings(plan: Pick<Plan, "resources" | "outputs">): RegistrySetting[] {
    const account = str(plan.outputs.accountId) ?? "?";
    const stackRegion = str(plan.outputs.region) ?? "?";
    const settings: RegistrySetting[] = [];
    for (const r of plan.resources) {
        const owned = OWNED[r.type];
        if (!owned) continue;
        const region = str(r.inputs.region) ?? stackRegion;
        const key = owned.key?.(r);
        const label = key === undefined ? owned.what : `${owned.what} ${key}`;
        settings.push({
            id: `${account}/${region} ${label}`,
            label,
            account,
            region,
            urn: r.urn,
            configKey: `ecr-private-access:${owned.configKey}`,
        });
    }
    return settings;
}

/**
 * Settings that more than one of the planned stacks own, each with the stacks
 * (by stack file) that declare it: every `pulumi up` of one undoes the other.
 */
export function registryConflicts(
    owners: { stackFile: string; settings: RegistrySetting[] }[],
): { setting: RegistrySetting; stackFiles: string[] }[] {
    const byId = new Map<string, { setting: RegistrySetting; stackFiles: string[] }>();
    for (const { stackFile, settings } of owners) {
        for (const s of settings) {
            const entry = byId.get(s.id) ?? { setting: s, stackFiles: [] };
            if (!entry.stackFiles.includes(stackFile)) entry.stackFiles.push(stackFile);
            byId.set(s.id, entry);
        }
    }
    return [...byId.values()].filter((e) => e.stackFiles.length > 1);
}
