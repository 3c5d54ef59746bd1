import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";

/**
 * Resource options as the engine receives them in each register request,
 * which the mock's `newResource` does not show: aliases, ignoreChanges and
 * the URNs a resource depends on.
 */
export interface Registration {
    type: string;
    name: string;
    urn: string;
    /** Names of the alias specs (`{ name }` aliases). */
    aliasNames: string[];
    ignoreChanges: string[];
    dependencies: string[];
}

/** Runs `body` while recording every register request's options. */
export async function recordRegistrations(body: () => Promise<unknown>): Promise<Registration[]> {
    const seen: Registration[] = [];
    const proto = MockMonitor.prototype as any;
    const original = proto.registerResource;
    proto.registerResource = function (req: any, callback: any) {
        return original.call(this, req, (err: any, resp: any) => {
            if (!err) {
                seen.push({
                    type: req.getType(),
                    name: req.getName(),
                    urn: resp.getUrn(),
                    aliasNames: req
                        .getAliasesList()
                        .map((a: any) => a.getSpec()?.getName())
                        .filter(Boolean),
                    ignoreChanges: req.getIgnorechangesList(),
                    dependencies: req.getDependenciesList(),
                });
            }
            callback(err, resp);
        });
    };
    try {
        await body();
    } finally {
        proto.registerResource = original;
    }
    return seen;
}
