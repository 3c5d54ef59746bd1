import { expect } from "chai";
import { ConfigError, parseStackConfig } from "../../src/config";

/**
 * Stack configs for the config specs, as `pulumi config` hands them to the
 * program (`<project>:<key>` -> string, objects JSON-encoded). Each function
 * returns a fresh, valid config shaped like the shipped stack; a test breaks
 * one thing in it.
 */

export const P = "ecr-private-access";
export const obj = (v: unknown) => JSON.stringify(v);

/** The customer stack: network, endpoints, its own repositories and the NLP service. */
export function customerConfig(): Record<string, string> {
    return {
        "aws:region": "us-west-2",
        "aws:allowedAccountIds": obj(["444455556666"]),
        [`${P}:accountId`]: "444455556666",
        [`${P}:network`]: obj({ cidr: "10.20.0.0/16", azCount: 2, publicSubnets: true }),
        [`${P}:endpoints`]: obj({ registryAccounts: ["111122223333"] }),
        [`${P}:repositories`]: obj({ names: ["nlp-client", "prose-app"] }),
        [`${P}:nlp`]: obj({
            vendorStack: "organization/ecr-private-access/vendor",
            imageTags: { nlpClient: "1.0.0", rakeApp: "1.0.0", proseApp: "1.0.0" },
        }),
    };
}

/** The idc-sim stack: the cloud network and endpoints, private DNS and the simulated data centre. */
export function idcConfig(): Record<string, string> {
    return {
        "aws:region": "ap-southeast-1",
        "aws:allowedAccountIds": obj(["777788889999"]),
        [`${P}:accountId`]: "777788889999",
        [`${P}:network`]: obj({ cidr: "10.0.0.0/16" }),
        [`${P}:endpoints`]: obj({ placement: "single-az", allowPush: true }),
        [`${P}:repositories`]: obj({ names: ["idc-demo/hello"] }),
        [`${P}:dns`]: obj({}),
        [`${P}:idc`]: obj({ region: "ap-northeast-1", cidr: "10.100.0.0/16" }),
    };
}

/**
 * The issues of a config the check must refuse. Fails the test when
 * parseStackConfig accepts the config or throws anything but a ConfigError.
 */
export function configIssues(
    raw: Record<string, string>,
    stack = "test",
    secretKeys: string[] = [],
): { key: string; message: string }[] {
    try {
        parseStackConfig(raw, stack, { secretKeys });
    } catch (e) {
        expect(e, (e as Error).stack).to.be.instanceOf(ConfigError);
        return (e as ConfigError).issues;
    }
    throw new Error("expected a ConfigError: the config was accepted");
}
