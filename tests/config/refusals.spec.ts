import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import {
    KNOWN_NAMESPACES,
    parseStackConfig,
    PROVIDER_NAMESPACES,
    SECRET_KEYS,
} from "../../src/config";
import { QUOTAS, quotaChecks, quotaTable, resolveQuotas } from "../../src/validation/quotas";
import { closest } from "../../src/validation/suggest";
import { RegistryEndpoints } from "../../components/registryEndpoints";
import { run } from "../helpers/run";
import { configIssues, customerConfig, idcConfig, obj, P } from "../helpers/stackConfig";

/**
 * What used to plan green, or fail with a stack trace inside a component
 * (exit 3), and is now refused by the config check with the key the user
 * wrote (exit 2). Each case fails on the code before this change: there,
 * parseStackConfig accepted the config.
 */

function vendor(): Record<string, string> {
    return {
        "aws:region": "us-east-2",
        "aws:allowedAccountIds": obj(["111122223333"]),
        [`${P}:accountId`]: "111122223333",
        [`${P}:repositories`]: obj({
            names: ["shared/rake-app"],
            consumers: { accounts: ["444455556666"] },
            replicationRegions: ["us-west-2"],
        }),
        [`${P}:developers`]: obj({ users: ["alice", "bob"] }),
    };
}

function expectIssue(raw: Record<string, string>, key: string, rule: RegExp, stack = "test") {
    const issues = configIssues(raw, stack);
    const issue = issues.find((i) => i.key === key);
    expect(issue, `no issue for ${key} in ${JSON.stringify(issues, null, 2)}`).to.not.equal(
        undefined,
    );
    expect(issue!.message).to.match(rule);
}

const set = (raw: Record<string, string>, key: string, value: unknown) => {
    raw[`${P}:${key}`] = obj(value);
    return raw;
};
const merge = (raw: Record<string, string>, key: string, value: Record<string, unknown>) =>
    set(raw, key, { ...JSON.parse(raw[`${P}:${key}`]), ...value });

describe("config: what a component would refuse is refused first, under the config key", () => {
    it("an on-premises CIDR inside the VPC (RegistryEndpoints threw: `allowedCidrs` overlaps `vpcCidr`)", () => {
        expectIssue(
            merge(customerConfig(), "endpoints", {
                onPremisesCidrs: ["192.168.0.0/16", "10.20.5.0/24"],
            }),
            `${P}:endpoints.onPremisesCidrs[1]`,
            /^10\.20\.5\.0\/24 overlaps network\.cidr 10\.20\.0\.0\/16, the stack's own VPC/,
        );
    });

    it("an on-premises CIDR listed twice (RegistryEndpoints threw: listed twice)", () => {
        expectIssue(
            merge(customerConfig(), "endpoints", {
                onPremisesCidrs: ["192.168.0.0/16", "192.168.0.0/16"],
            }),
            `${P}:endpoints.onPremisesCidrs[1]`,
            /listed twice \(also endpoints\.onPremisesCidrs\[0\]\)/,
        );
    });

    it("0.0.0.0/0 with allowWorldIngress and a Resolver endpoint (EcrPrivateDns threw)", () => {
        const raw = merge(idcConfig(), "endpoints", {
            onPremisesCidrs: ["0.0.0.0/0"],
            allowWorldIngress: true,
        });
        set(raw, "network", { cidr: "10.0.0.0/16", azCount: 2 });
        set(raw, "dns", { resolverEndpoint: true });
        expectIssue(
            raw,
            `${P}:endpoints.onPremisesCidrs[0]`,
            /Resolver endpoint .* whole internet/,
        );
    });

    it("an S3 object ARN the endpoint policy refuses (RegistryEndpoints threw)", () => {
        expectIssue(
            merge(customerConfig(), "endpoints", {
                s3AdditionalResources: ["arn:aws:s3:::my-bucket/ok/*", "arn:aws:s3:::a/x"],
            }),
            `${P}:endpoints.s3AdditionalResources[1]`,
            /"arn:aws:s3:::a\/x" is not an S3 object ARN .*3-63/,
        );
    });

    it("Fargate CPU and memory that do not go together (NlpService threw)", () => {
        expectIssue(
            merge(customerConfig(), "nlp", { cpu: 1024, memory: 1000 }),
            `${P}:nlp.memory`,
            /^1000 MiB does not go with nlp\.cpu 1024 on Fargate \(allowed: 2048, 3072/,
        );
        expectIssue(
            merge(customerConfig(), "nlp", { cpu: 1000 }),
            `${P}:nlp.cpu`,
            /^1000 is not a Fargate task CPU size \(one of 256, 512, 1024/,
        );
        expectIssue(
            merge(customerConfig(), "nlp", { cpu: 512, memory: 2048 }),
            `${P}:nlp.cpu`,
            /less than the 768 CPU units the 3 containers reserve/,
        );
        expectIssue(
            merge(customerConfig(), "nlp", { cpu: 1024, memory: 2048 }),
            `${P}:nlp.memory`,
            /less than the 3072 MiB the 3 containers reserve/,
        );
    });

    it("a KMS key in another region (SharedRepository threw)", () => {
        expectIssue(
            merge(vendor(), "repositories", {
                kmsKeyArn:
                    "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            }),
            `${P}:repositories.kmsKeyArn`,
            /is a key in us-west-2, but the repositories are in us-east-2 \(aws:region\)/,
        );
    });

    it("an ACM certificate in another region than the load balancer (AWS refuses the listener)", () => {
        expectIssue(
            merge(customerConfig(), "nlp", {
                certificateArn: "arn:aws:acm:us-east-1:444455556666:certificate/12345678-90ab",
            }),
            `${P}:nlp.certificateArn`,
            /is in us-east-1, but a load balancer only uses ACM certificates from its own region \(us-west-2\)/,
        );
    });

    it("IAM user names that differ only in case (DeveloperAccess threw), and exact duplicates", () => {
        const raw = set(vendor(), "developers", { users: ["alice", "bob", "Alice", "bob"] });
        expectIssue(
            raw,
            `${P}:developers.users[2]`,
            /"Alice" differs from developers\.users\[0\] "alice" only in case; IAM user names are case-insensitive/,
        );
        expectIssue(raw, `${P}:developers.users[3]`, /"bob" is listed twice/);
    });

    it("release tag patterns ECR refuses: too long, more than 4 wildcards, twice (SharedRepository threw)", () => {
        const raw = merge(vendor(), "repositories", {
            lifecycle: { releaseTagPatterns: ["v*", "a".repeat(129), "*a*b*c*d*"] },
        });
        expectIssue(
            raw,
            `${P}:repositories.lifecycle.releaseTagPatterns[1]`,
            /is not a tag pattern \(1-128 letters/,
        );
        expectIssue(
            raw,
            `${P}:repositories.lifecycle.releaseTagPatterns[2]`,
            /has more than the 4 wildcards ECR allows/,
        );
        // Duplicates are found once every pattern is valid.
        expectIssue(
            merge(vendor(), "repositories", {
                lifecycle: { releaseTagPatterns: ["v*", "1.*", "v*"] },
            }),
            `${P}:repositories.lifecycle.releaseTagPatterns[2]`,
            /"v\*" is listed twice/,
        );
    });

    it("an NLP service whose vendor stack is the stack itself", () => {
        expectIssue(
            merge(customerConfig(), "nlp", {
                vendorStack: "organization/ecr-private-access/customer",
            }),
            `${P}:nlp.vendorStack`,
            /is this stack itself/,
            "customer",
        );
    });

    it("anything else a component's own validator refuses is exit 2 too, keyed (replication filters per rule)", () => {
        // 101 repositories replicated to one region: one rule with 101 filters; ECR allows 100.
        const raw = merge(vendor(), "repositories", {
            names: Array.from({ length: 101 }, (_, i) => `app-${i}`),
        });
        const issues = configIssues(raw);
        expect(issues.map((i) => i.key).every((k) => k.startsWith(`${P}:repositories`))).to.equal(
            true,
        );
        expect(issues.map((i) => i.message).join("\n")).to.match(/\b100\b/);
    });

    it("components keep their assertions as invariants (a direct caller still gets the argument error)", async () => {
        let error: Error | undefined;
        try {
            await run(() => {
                new RegistryEndpoints("e", {
                    vpcId: "vpc-1",
                    vpcCidr: "10.20.0.0/16",
                    region: "us-west-2",
                    privateSubnetIds: ["subnet-1"],
                    privateRouteTableIds: ["rtb-1"],
                    interfaceServices: ["ecr.api", "ecr.dkr"],
                    allowedCidrs: ["10.20.5.0/24"],
                });
            });
        } catch (e) {
            error = e as Error;
        }
        expect(error?.message).to.match(/`allowedCidrs`: 10\.20\.5\.0\/24 overlaps `vpcCidr`/);
    });
});

describe("config: namespaces and keys", () => {
    it("an unknown namespace is an error with a did-you-mean (ecr-private-acess:dns was ignored and DNS silently off)", () => {
        const raw = idcConfig();
        delete raw[`${P}:dns`];
        raw["ecr-private-acess:dns"] = obj({});
        expectIssue(
            raw,
            "ecr-private-acess:dns",
            /unknown config namespace "ecr-private-acess".*did you mean ecr-private-access:dns\?$/,
        );
    });

    it("an unknown namespace far from any known one names the known ones", () => {
        const raw = customerConfig();
        raw["awz:region"] = "us-west-2";
        raw["kubernetes:context"] = "x";
        expectIssue(raw, "awz:region", /did you mean aws:region\?/);
        expectIssue(
            raw,
            "kubernetes:context",
            /known namespaces: ecr-private-access, pulumi, aws, awsx, random\)$/,
        );
    });

    it("a misspelt AWS provider setting (aws:regoin) is an error; the provider's real settings pass", () => {
        const raw = customerConfig();
        raw["aws:regoin"] = "us-west-2";
        raw["aws:defaultTags"] = obj({ tags: { team: "x" } });
        raw["aws:skipMetadataApiCheck"] = "true";
        raw["pulumi:tags"] = obj({ a: "b" });
        const issues = configIssues(raw);
        expect(issues.map((i) => i.key)).to.deep.equal(["aws:regoin"]);
        expect(issues[0].message).to.match(/did you mean aws:region\?/);
    });

    it("a misspelt project key and block field get a did-you-mean", () => {
        const raw = customerConfig();
        raw[`${P}:netwrok`] = obj({});
        merge(raw, "network", { azcount: 2 });
        expectIssue(raw, `${P}:netwrok`, /did you mean ecr-private-access:network\?$/);
        expectIssue(
            raw,
            `${P}:network.azcount`,
            /unknown key \(known: cidr, azCount.*did you mean "azCount"\?$/,
        );
    });

    it("the provider namespaces are exactly the @pulumi providers package.json depends on", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "../../package.json"), "utf8"));
        const providers = Object.keys(pkg.dependencies)
            .filter(
                (d) =>
                    d.startsWith("@pulumi/") && !["@pulumi/pulumi", "@pulumi/policy"].includes(d),
            )
            .map((d) => d.slice("@pulumi/".length))
            .sort();
        expect([...PROVIDER_NAMESPACES].sort()).to.deep.equal(providers);
        expect(KNOWN_NAMESPACES).to.include.members([P, "pulumi", ...providers]);
    });

    it("did-you-mean suggests only plausible typos", () => {
        expect(closest("ecr-private-acess", [P, "aws"])).to.equal(P);
        expect(closest("azcount", ["cidr", "azCount"])).to.equal("azCount");
        expect(closest("securityGroupRules", Object.keys(QUOTAS))).to.equal(
            "securityGroupRulesPerGroup",
        );
        expect(closest("xyz", ["network", "dns"])).to.equal(undefined);
    });
});

describe("config: secrets must be secrets", () => {
    it("a plain-text nlpApiKey is refused with the exact pulumi config set --secret command", () => {
        const raw = customerConfig();
        raw[`${P}:nlpApiKey`] = "hunter2";
        const issue = configIssues(raw, "customer").find((i) => i.key === `${P}:nlpApiKey`);
        expect(issue?.message).to.contain(
            "pulumi config set --secret --stack customer ecr-private-access:nlpApiKey",
        );
        expect(issue?.message).to.contain("Pulumi.customer.yaml");
        expect(issue?.message).to.not.contain("hunter2");
    });

    it("the same key stored encrypted passes", () => {
        const raw = customerConfig();
        raw[`${P}:nlpApiKey`] = "[secret]";
        expect(() =>
            parseStackConfig(raw, "customer", { secretKeys: [`${P}:nlpApiKey`] }),
        ).to.not.throw();
    });

    it("the list of secret keys is the one place to add a key", () => {
        expect(SECRET_KEYS).to.deep.equal([
            "nlpApiKey",
            "pullThroughCacheDockerHubToken",
            "pullThroughCacheGitHubToken",
            "pullThroughCacheGitLabToken",
        ]);
    });
});

describe("config: AWS quotas the plan can see", () => {
    const cidrs = (n: number) => Array.from({ length: n }, (_, i) => `192.168.${i}.0/24`);

    it("more than 60 inbound rules on the endpoints' security group (200 on-premises CIDRs planned green)", () => {
        expectIssue(
            merge(customerConfig(), "endpoints", { onPremisesCidrs: cidrs(200) }),
            `${P}:endpoints.onPremisesCidrs`,
            /201 inbound rules .* AWS allows 60 \("Inbound or outbound rules per security group", the default\)\. .*L-0EA8095F.*quotas\.securityGroupRulesPerGroup/,
        );
        // 59 CIDRs and the VPC: exactly 60 rules, accepted.
        expect(() =>
            parseStackConfig(
                merge(customerConfig(), "endpoints", { onPremisesCidrs: cidrs(59) }),
                "t",
            ),
        ).to.not.throw();
        expectIssue(
            merge(customerConfig(), "endpoints", { onPremisesCidrs: cidrs(60) }),
            `${P}:endpoints.onPremisesCidrs`,
            /61 inbound rules/,
        );
    });

    it("the Resolver endpoint's group counts UDP and TCP per CIDR, idc.cidr included", () => {
        const raw = set(idcConfig(), "network", { cidr: "10.0.0.0/16", azCount: 2 });
        merge(raw, "endpoints", { onPremisesCidrs: cidrs(30) });
        set(raw, "dns", { resolverEndpoint: true });
        expectIssue(
            raw,
            `${P}:endpoints.onPremisesCidrs`,
            /Resolver endpoint's security group 62 inbound rules .*31 CIDRs, idc\.cidr included/,
        );
    });

    it("a raised quota in the quotas block is used", () => {
        const raw = merge(customerConfig(), "endpoints", { onPremisesCidrs: cidrs(200) });
        set(raw, "quotas", { securityGroupRulesPerGroup: 250 });
        expect(parseStackConfig(raw, "t").quotas.securityGroupRulesPerGroup).to.equal(250);
        set(raw, "quotas", { securityGroupRulesPerGroup: 150 });
        expectIssue(
            raw,
            `${P}:endpoints.onPremisesCidrs`,
            /AWS allows 150 \(.*ecr-private-access:quotas\.securityGroupRulesPerGroup\)/,
        );
    });

    it("the quotas block refuses fixed limits, unknown keys and values AWS cannot have", () => {
        const raw = set(customerConfig(), "quotas", {
            lifecyclePolicyLength: 40000,
            securityGroupRules: 100,
            interfaceEndpointsPerVpc: 0,
            securityGroupRulesPerGroup: 1001,
        });
        expectIssue(raw, `${P}:quotas.lifecyclePolicyLength`, /fixed AWS limit \(30,720\)/);
        expectIssue(
            raw,
            `${P}:quotas.securityGroupRules`,
            /did you mean "securityGroupRulesPerGroup"\?/,
        );
        expectIssue(raw, `${P}:quotas.interfaceEndpointsPerVpc`, /whole number of at least 1/);
        expectIssue(raw, `${P}:quotas.securityGroupRulesPerGroup`, /more than 1,000/);
    });

    it("interface endpoints per VPC: the derived services count, and a lower quota refuses them", () => {
        // The NLP service adds logs and secretsmanager: ecr.api, ecr.dkr + 2 + ssm = 5.
        const raw = merge(customerConfig(), "endpoints", { optionalServices: ["ssm"] });
        set(raw, "quotas", { interfaceEndpointsPerVpc: 4 });
        expectIssue(raw, `${P}:endpoints.optionalServices`, /needs 5 interface endpoints/);
    });

    it("VPC associations per private hosted zone: the IDC VPC counts", () => {
        const raw = set(idcConfig(), "quotas", { vpcAssociationsPerPrivateHostedZone: 1 });
        const cfg = parseStackConfig(raw, "t");
        expect(resolveQuotas({}).vpcAssociationsPerPrivateHostedZone).to.equal(300);
        // No config holds a quota below 1, so the count is checked on the derived config.
        const none = { ...cfg, quotas: { ...cfg.quotas, vpcAssociationsPerPrivateHostedZone: 0 } };
        expect(quotaChecks(none).map((i) => i.key)).to.deep.equal([`${P}:idc`]);
        const { idc: _, ...withoutIdc } = none;
        expect(quotaChecks(withoutIdc)).to.deep.equal([]);
    });

    it("more than 50 lifecycle rules (48 release patterns planned green; ECR refuses the policy)", () => {
        const raw = merge(vendor(), "repositories", {
            lifecycle: { releaseTagPatterns: Array.from({ length: 49 }, (_, i) => `r${i}-*`) },
        });
        expectIssue(
            raw,
            `${P}:repositories.lifecycle.releaseTagPatterns`,
            /51 rules .*AWS allows 50 \("Rules per lifecycle policy", a fixed limit\)/,
        );
        merge(raw, "repositories", {
            lifecycle: { releaseTagPatterns: Array.from({ length: 48 }, (_, i) => `r${i}-*`) },
        });
        expect(() => parseStackConfig(raw, "t")).to.not.throw();
    });

    it("an ECR endpoint policy over 20,480 characters (many registry accounts)", () => {
        const accounts = Array.from({ length: 400 }, (_, i) => String(200000000000 + i));
        expectIssue(
            merge(customerConfig(), "endpoints", { registryAccounts: accounts }),
            `${P}:endpoints.registryAccounts`,
            /ECR endpoints' policy \d{5} characters.*AWS allows 20,480/,
        );
    });

    it("more repositories than a registry holds", () => {
        const raw = merge(vendor(), "repositories", { replicationRegions: [] });
        set(raw, "quotas", { repositoriesPerRegistry: 1 });
        merge(raw, "repositories", { names: ["shared/a1", "shared/a2"] });
        expectIssue(raw, `${P}:repositories.names`, /lists 2 repositories .*AWS allows 1/);
    });

    it("the README lists every quota checked, its default and its source", () => {
        const readme = fs.readFileSync(path.join(__dirname, "../../README.md"), "utf8");
        expect(readme).to.contain(quotaTable());
    });
});
