import { expect } from "chai";
import { parseStackConfig, referencedStacks } from "../../src/config";
import { configIssues, customerConfig, idcConfig, obj, P } from "../helpers/stackConfig";

describe("config: valid stacks", () => {
    it("applies defaults and derives the endpoint services the NLP tasks need", () => {
        const cfg = parseStackConfig(customerConfig(), "customer");
        expect(cfg.accountId).to.equal("444455556666");
        expect(cfg.network).to.deep.equal({
            cidr: "10.20.0.0/16",
            azCount: 2,
            publicSubnets: true,
            subnetPrefixLength: 20,
        });
        expect(cfg.endpoints!.interfaceServices).to.deep.equal([
            "ecr.api",
            "ecr.dkr",
            "logs",
            "secretsmanager",
        ]);
        expect(cfg.endpoints!.placement).to.equal("all-azs");
        expect(cfg.endpoints!.allowPush).to.equal(false);
        expect(cfg.endpoints!.s3Interface).to.equal(false);
        // The ECR endpoints' data perimeter is on unless widened explicitly.
        expect(cfg.endpoints!.allowAnyPrincipal).to.equal(false);
        expect(cfg.endpoints!.principalOrgId).to.equal(undefined);
        expect(cfg.nlp!.desiredCount).to.equal(2);
        expect(cfg.nlp!.logRetentionDays).to.equal(30);
        expect(cfg.repositories!.lifecycle).to.deep.equal({
            untaggedExpireDays: 7,
            keepImages: 50,
            // The tags the stacks deploy (1.0.0) are release tags by default.
            releaseTagPatterns: ["v*", "*.*.*"],
        });
        expect(cfg.repositories!.retainOnDelete).to.equal(true);
        expect(cfg.dns).to.equal(undefined);
        expect(cfg.idc).to.equal(undefined);
    });

    it("defaults the NLP edge to logs on, deletion protection on, internet-facing, no WAF", () => {
        const nlp = parseStackConfig(customerConfig(), "customer").nlp!;
        expect({
            internal: nlp.internal,
            allowPlainHttp: nlp.allowPlainHttp,
            accessLogs: nlp.accessLogs,
            accessLogRetentionDays: nlp.accessLogRetentionDays,
            deletionProtection: nlp.deletionProtection,
            waf: nlp.waf,
            domain: nlp.domain,
            clientCidrs: nlp.clientCidrs,
        }).to.deep.equal({
            internal: false,
            allowPlainHttp: false,
            accessLogs: true,
            accessLogRetentionDays: 90,
            deletionProtection: true,
            waf: undefined,
            domain: undefined,
            clientCidrs: undefined,
        });
    });

    it("accepts an internal service without public subnets, a domain, and the default WAF groups", () => {
        const raw = customerConfig();
        raw[`${P}:network`] = obj({ cidr: "10.20.0.0/16", azCount: 2 });
        raw[`${P}:nlp`] = obj({
            vendorStack: "organization/ecr-private-access/vendor",
            imageTags: { nlpClient: "1.0.0", rakeApp: "1.0.0", proseApp: "1.0.0" },
            internal: true,
            domain: "nlp.internal.example.com",
            hostedZone: "example.com.",
            waf: {},
        });
        const nlp = parseStackConfig(raw, "customer").nlp!;
        expect(nlp.internal).to.equal(true);
        expect(nlp.waf).to.deep.equal({
            ruleGroups: [
                "AWSManagedRulesAmazonIpReputationList",
                "AWSManagedRulesCommonRuleSet",
                "AWSManagedRulesKnownBadInputsRuleSet",
            ],
        });
    });

    it("adds the IDC CIDR to the endpoint ingress and keeps ec2 endpoints off", () => {
        const cfg = parseStackConfig(idcConfig(), "idc-sim");
        expect(cfg.endpoints!.onPremisesCidrs).to.deep.equal(["10.100.0.0/16"]);
        expect(cfg.endpoints!.interfaceServices).to.deep.equal(["ecr.api", "ecr.dkr"]);
        expect(cfg.dns).to.deep.equal({ layout: "exact", ttl: 60, resolverEndpoint: false });
    });

    it("takes endpoints.s3Interface as given, and rejects a non-boolean naming the key", () => {
        const raw = {
            ...idcConfig(),
            [`${P}:endpoints`]: obj({ placement: "single-az", allowPush: true, s3Interface: true }),
        };
        expect(parseStackConfig(raw, "idc-sim").endpoints!.s3Interface).to.equal(true);
        raw[`${P}:endpoints`] = obj({ allowPush: true, s3Interface: "yes" });
        expect(configIssues(raw)).to.deep.equal([
            {
                key: `${P}:endpoints.s3Interface`,
                message: '"yes" expected boolean, received string',
            },
        ]);
    });

    it("adds ecs, ecs-agent and ecs-telemetry only for the EC2 launch type", () => {
        const raw = {
            ...idcConfig(),
            [`${P}:endpoints`]: obj({
                ec2LaunchType: true,
                optionalServices: ["ssm"],
                allowPush: true,
            }),
        };
        expect(parseStackConfig(raw, "x").endpoints!.interfaceServices).to.deep.equal([
            "ecr.api",
            "ecr.dkr",
            "ssm",
            "ecs",
            "ecs-agent",
            "ecs-telemetry",
        ]);
    });

    it("takes idc.amiId as a pin and names the key when it is not an AMI ID", () => {
        const raw = {
            ...idcConfig(),
            [`${P}:idc`]: obj({
                region: "ap-northeast-1",
                cidr: "10.100.0.0/16",
                amiId: "ami-0123456789abcdef0",
            }),
        };
        expect(parseStackConfig(raw, "idc-sim").idc!.amiId).to.equal("ami-0123456789abcdef0");
        raw[`${P}:idc`] = obj({ region: "ap-northeast-1", cidr: "10.100.0.0/16", amiId: "al2023" });
        expect(configIssues(raw)).to.deep.equal([
            {
                key: `${P}:idc.amiId`,
                message: '"al2023" is not an AMI ID (ami- and 8 or 17 hex digits)',
            },
        ]);
    });

    it("accepts an unquoted 12-digit account ID from YAML", () => {
        const raw: Record<string, string> = {
            ...customerConfig(),
            [`${P}:repositories`]: obj({
                names: ["shared/nlp-client", "shared/prose-app"],
                consumers: { accounts: [111122223333] },
            }),
        };
        delete raw[`${P}:nlp`];
        expect(parseStackConfig(raw, "x").repositories!.consumers.accounts).to.deep.equal([
            "111122223333",
        ]);
    });

    it("names the stacks a config references", () => {
        expect(referencedStacks(customerConfig())).to.deep.equal([
            "organization/ecr-private-access/vendor",
        ]);
        expect(referencedStacks(idcConfig())).to.deep.equal([]);
    });
});

describe("config: invalid stacks name the key and the rule", () => {
    const cases: [string, (raw: Record<string, string>) => void, string, RegExp][] = [
        [
            "malformed network CIDR",
            (r) => (r[`${P}:network`] = obj({ cidr: "10.20.0.300/16", publicSubnets: true })),
            `${P}:network.cidr`,
            /not an IPv4 CIDR/,
        ],
        [
            "CIDR with host bits",
            (r) => (r[`${P}:network`] = obj({ cidr: "10.20.1.0/16", publicSubnets: true })),
            `${P}:network.cidr`,
            /host bits set; did you mean 10.20.0.0\/16/,
        ],
        [
            "VPC CIDR wider than /16",
            (r) => (r[`${P}:network`] = obj({ cidr: "10.0.0.0/8", publicSubnets: true })),
            `${P}:network.cidr`,
            /between \/16 and \/28/,
        ],
        [
            "subnets that do not fit",
            (r) =>
                (r[`${P}:network`] = obj({
                    cidr: "10.20.0.0/24",
                    azCount: 3,
                    subnetPrefixLength: 25,
                    publicSubnets: true,
                })),
            `${P}:network.subnetPrefixLength`,
            /holds 2 subnets of \/25, but 6 are needed/,
        ],
        [
            "unknown key inside a block",
            (r) =>
                (r[`${P}:network`] = obj({
                    cidr: "10.20.0.0/16",
                    azcount: 2,
                    publicSubnets: true,
                })),
            `${P}:network.azcount`,
            /unknown key/,
        ],
        [
            "unknown component key",
            (r) => (r[`${P}:endpoint`] = obj({})),
            `${P}:endpoint`,
            /unknown config key/,
        ],
        [
            "account ID not 12 digits",
            (r) => (r[`${P}:accountId`] = "12345"),
            `${P}:accountId`,
            /12-digit/,
        ],
        ["missing account ID", (r) => delete r[`${P}:accountId`], `${P}:accountId`, /is required/],
        [
            "provider not pinned to the account",
            (r) => delete r["aws:allowedAccountIds"],
            "aws:allowedAccountIds",
            /must list "444455556666" \(ecr-private-access:accountId\)/,
        ],
        [
            "provider pinned to another account",
            (r) => (r["aws:allowedAccountIds"] = obj(["111122223333"])),
            "aws:allowedAccountIds",
            /must list "444455556666"/,
        ],
        [
            "unknown region",
            (r) => (r["aws:region"] = "us-west-9"),
            "aws:region",
            /not a known AWS region/,
        ],
        [
            "consumer account not 12 digits",
            (r) =>
                (r[`${P}:repositories`] = obj({
                    names: ["nlp-client", "prose-app"],
                    consumers: { accounts: ["4444555566"] },
                })),
            `${P}:repositories.consumers.accounts[0]`,
            /12-digit/,
        ],
        [
            "repository name breaking ECR's pattern",
            (r) => (r[`${P}:repositories`] = obj({ names: ["nlp-client", "Prose_App"] })),
            `${P}:repositories.names[1]`,
            /not a valid ECR repository name/,
        ],
        [
            "repository name with a trailing slash",
            (r) => (r[`${P}:repositories`] = obj({ names: ["nlp-client", "team/"] })),
            `${P}:repositories.names[1]`,
            /not a valid ECR repository name/,
        ],
        [
            "duplicate repository names",
            (r) =>
                (r[`${P}:repositories`] = obj({
                    names: ["nlp-client", "prose-app", "nlp-client"],
                })),
            `${P}:repositories.names[2]`,
            /listed twice/,
        ],
        [
            "lifecycle count of 0",
            (r) =>
                (r[`${P}:repositories`] = obj({
                    names: ["nlp-client", "prose-app"],
                    lifecycle: { keepImages: 0 },
                })),
            `${P}:repositories.lifecycle.keepImages`,
            />=1/,
        ],
        [
            "NLP service without a vendor stack reference",
            (r) =>
                (r[`${P}:nlp`] = obj({
                    imageTags: { nlpClient: "1", rakeApp: "1", proseApp: "1" },
                })),
            `${P}:nlp.vendorStack`,
            /is required/,
        ],
        [
            "vendor stack that is not fully qualified",
            (r) =>
                (r[`${P}:nlp`] = obj({
                    vendorStack: "vendor",
                    imageTags: { nlpClient: "1", rakeApp: "1", proseApp: "1" },
                })),
            `${P}:nlp.vendorStack`,
            /<organization>\/<project>\/<stack>/,
        ],
        [
            "image tag latest",
            (r) =>
                (r[`${P}:nlp`] = obj({
                    vendorStack: "o/p/vendor",
                    imageTags: { nlpClient: "latest", rakeApp: "1", proseApp: "1" },
                })),
            `${P}:nlp.imageTags.nlpClient`,
            /not `latest`/,
        ],
        [
            "desired count 0",
            (r) =>
                (r[`${P}:nlp`] = obj({
                    vendorStack: "o/p/vendor",
                    desiredCount: 0,
                    imageTags: { nlpClient: "1", rakeApp: "1", proseApp: "1" },
                })),
            `${P}:nlp.desiredCount`,
            />=1/,
        ],
        [
            "certificate that is not an ACM ARN",
            (r) =>
                (r[`${P}:nlp`] = obj({
                    vendorStack: "o/p/vendor",
                    certificateArn: "arn:aws:iam::444455556666:server-certificate/x",
                    imageTags: { nlpClient: "1", rakeApp: "1", proseApp: "1" },
                })),
            `${P}:nlp.certificateArn`,
            /not an ACM certificate ARN/,
        ],
        [
            "log retention CloudWatch does not offer",
            (r) =>
                (r[`${P}:nlp`] = obj({
                    vendorStack: "o/p/vendor",
                    logRetentionDays: 31,
                    imageTags: { nlpClient: "1", rakeApp: "1", proseApp: "1" },
                })),
            `${P}:nlp.logRetentionDays`,
            /CloudWatch's retention values/,
        ],
        [
            "NLP service in one AZ",
            (r) =>
                (r[`${P}:network`] = obj({
                    cidr: "10.20.0.0/16",
                    azCount: 1,
                    publicSubnets: true,
                })),
            `${P}:network.azCount`,
            /two availability zones/,
        ],
        [
            "unknown port format",
            (r) =>
                (r[`${P}:nlp`] = obj({
                    vendorStack: "o/p/vendor",
                    portFormat: "url",
                    imageTags: { nlpClient: "1", rakeApp: "1", proseApp: "1" },
                })),
            `${P}:nlp.portFormat`,
            /number|listen-address/,
        ],
        [
            "NLP service without public subnets for its load balancer",
            (r) => (r[`${P}:network`] = obj({ cidr: "10.20.0.0/16" })),
            `${P}:network.publicSubnets`,
            /must be true when `nlp` is on: the internet-facing load balancer needs public subnets \(or set nlp.internal: true\)/,
        ],
        [
            "NLP image repository the stack does not own",
            (r) => (r[`${P}:repositories`] = obj({ names: ["nlp-client"] })),
            `${P}:nlp.proseRepository`,
            /"prose-app" is not in repositories.names/,
        ],
        [
            "NLP service in private subnets with no endpoints",
            (r) => delete r[`${P}:endpoints`],
            `${P}:nlp`,
            /needs the `endpoints` block/,
        ],
        [
            "on-premises CIDR that is not a CIDR",
            (r) => (r[`${P}:endpoints`] = obj({ onPremisesCidrs: ["192.168.1.0"] })),
            `${P}:endpoints.onPremisesCidrs[0]`,
            /not an IPv4 CIDR/,
        ],
        [
            "0.0.0.0/0 without the explicit opt-in",
            (r) => (r[`${P}:endpoints`] = obj({ onPremisesCidrs: ["0.0.0.0/0"] })),
            `${P}:endpoints.onPremisesCidrs[0]`,
            /allowWorldIngress: true/,
        ],
        [
            "an endpoints.principalOrgId that is not an organization ID",
            (r) =>
                (r[`${P}:endpoints`] = obj({
                    registryAccounts: ["111122223333"],
                    principalOrgId: "org-123",
                })),
            `${P}:endpoints.principalOrgId`,
            /not an AWS Organizations ID/,
        ],
        [
            "an organization beside allowAnyPrincipal (the perimeter would be gone anyway)",
            (r) =>
                (r[`${P}:endpoints`] = obj({
                    registryAccounts: ["111122223333"],
                    principalOrgId: "o-exampleorg1",
                    allowAnyPrincipal: true,
                })),
            `${P}:endpoints.principalOrgId`,
            /has no effect with endpoints.allowAnyPrincipal: true/,
        ],
        [
            "unknown optional endpoint name",
            (r) => (r[`${P}:endpoints`] = obj({ optionalServices: ["logs", "sqs"] })),
            `${P}:endpoints.optionalServices[1]`,
            /logs|secretsmanager|ssm/,
        ],
        [
            "replication to the stack's own region",
            (r) =>
                (r[`${P}:repositories`] = obj({
                    names: ["nlp-client", "prose-app"],
                    replicationRegions: ["us-east-1", "us-west-2"],
                })),
            `${P}:repositories.replicationRegions[1]`,
            /us-west-2 is the stack's own region/,
        ],
        [
            "too many consumer accounts for ECR's policy size limit",
            (r) =>
                (r[`${P}:repositories`] = obj({
                    names: ["nlp-client", "prose-app"],
                    consumers: {
                        accounts: Array.from({ length: 305 }, (_, i) => String(100000000000 + i)),
                    },
                })),
            `${P}:repositories.consumers.accounts`,
            /would be 10\d{3} characters, over ECR's limit of 10240; grant .*consumers\.organizationId/,
        ],
        [
            "domain without its hosted zone",
            (r) =>
                (r[`${P}:nlp`] = obj({
                    vendorStack: "o/p/vendor",
                    imageTags: { nlpClient: "1", rakeApp: "1", proseApp: "1" },
                    domain: "nlp.example.com",
                })),
            `${P}:nlp.hostedZone`,
            /^is required with nlp.domain: the public hosted zone the name lives in/,
        ],
        [
            "domain outside its hosted zone",
            (r) =>
                (r[`${P}:nlp`] = obj({
                    vendorStack: "o/p/vendor",
                    imageTags: { nlpClient: "1", rakeApp: "1", proseApp: "1" },
                    domain: "nlp.example.org",
                    hostedZone: "example.com",
                })),
            `${P}:nlp.domain`,
            /^"nlp.example.org" is not in the hosted zone "example.com"$/,
        ],
        [
            "domain that is not a DNS name",
            (r) =>
                (r[`${P}:nlp`] = obj({
                    vendorStack: "o/p/vendor",
                    imageTags: { nlpClient: "1", rakeApp: "1", proseApp: "1" },
                    domain: "*.example.com",
                    hostedZone: "example.com",
                })),
            `${P}:nlp.domain`,
            /is not a DNS name/,
        ],
        [
            "domain in AWS's namespace",
            (r) =>
                (r[`${P}:nlp`] = obj({
                    vendorStack: "o/p/vendor",
                    imageTags: { nlpClient: "1", rakeApp: "1", proseApp: "1" },
                    domain: "nlp.us-west-2.elb.amazonaws.com",
                    hostedZone: "amazonaws.com",
                })),
            `${P}:nlp.domain`,
            /is an AWS service name; use a domain you own/,
        ],
        [
            "hosted zone without a domain",
            (r) =>
                (r[`${P}:nlp`] = obj({
                    vendorStack: "o/p/vendor",
                    imageTags: { nlpClient: "1", rakeApp: "1", proseApp: "1" },
                    hostedZone: "example.com",
                })),
            `${P}:nlp.hostedZone`,
            /^is only used with nlp.domain$/,
        ],
        [
            "certificate from another region",
            (r) =>
                (r[`${P}:nlp`] = obj({
                    vendorStack: "o/p/vendor",
                    imageTags: { nlpClient: "1", rakeApp: "1", proseApp: "1" },
                    certificateArn:
                        "arn:aws:acm:us-east-1:444455556666:certificate/0a1b2c3d-1111-2222-3333-444455556666",
                })),
            `${P}:nlp.certificateArn`,
            /^is in us-east-1, but a load balancer only uses ACM certificates from its own region \(us-west-2\)$/,
        ],
        [
            "allowPlainHttp next to HTTPS",
            (r) =>
                (r[`${P}:nlp`] = obj({
                    vendorStack: "o/p/vendor",
                    imageTags: { nlpClient: "1", rakeApp: "1", proseApp: "1" },
                    domain: "nlp.example.com",
                    hostedZone: "example.com",
                    allowPlainHttp: true,
                })),
            `${P}:nlp.allowPlainHttp`,
            /^has no effect with nlp.domain or nlp.certificateArn/,
        ],
        [
            "client CIDR that is not a CIDR",
            (r) =>
                (r[`${P}:nlp`] = obj({
                    vendorStack: "o/p/vendor",
                    imageTags: { nlpClient: "1", rakeApp: "1", proseApp: "1" },
                    clientCidrs: ["10.0.0.0/33"],
                })),
            `${P}:nlp.clientCidrs[0]`,
            /./,
        ],
        [
            "empty client CIDR list",
            (r) =>
                (r[`${P}:nlp`] = obj({
                    vendorStack: "o/p/vendor",
                    imageTags: { nlpClient: "1", rakeApp: "1", proseApp: "1" },
                    clientCidrs: [],
                })),
            `${P}:nlp.clientCidrs`,
            /^must list at least one CIDR/,
        ],
        [
            "access-log retention of 0 days",
            (r) =>
                (r[`${P}:nlp`] = obj({
                    vendorStack: "o/p/vendor",
                    imageTags: { nlpClient: "1", rakeApp: "1", proseApp: "1" },
                    accessLogRetentionDays: 0,
                })),
            `${P}:nlp.accessLogRetentionDays`,
            />=1/,
        ],
        [
            "unknown WAF rule group",
            (r) =>
                (r[`${P}:nlp`] = obj({
                    vendorStack: "o/p/vendor",
                    imageTags: { nlpClient: "1", rakeApp: "1", proseApp: "1" },
                    waf: { ruleGroups: ["AWSManagedRulesCommonRuleSet", "MyRules"] },
                })),
            `${P}:nlp.waf.ruleGroups[1]`,
            /^"MyRules" is not an AWS managed rule group this stack knows/,
        ],
        [
            "paid WAF rule group",
            (r) =>
                (r[`${P}:nlp`] = obj({
                    vendorStack: "o/p/vendor",
                    imageTags: { nlpClient: "1", rakeApp: "1", proseApp: "1" },
                    waf: { ruleGroups: ["AWSManagedRulesBotControlRuleSet"] },
                })),
            `${P}:nlp.waf.ruleGroups[0]`,
            /^"AWSManagedRulesBotControlRuleSet" carries a subscription and per-request fee/,
        ],
        [
            "WAF rule group listed twice",
            (r) =>
                (r[`${P}:nlp`] = obj({
                    vendorStack: "o/p/vendor",
                    imageTags: { nlpClient: "1", rakeApp: "1", proseApp: "1" },
                    waf: {
                        ruleGroups: ["AWSManagedRulesSQLiRuleSet", "AWSManagedRulesSQLiRuleSet"],
                    },
                })),
            `${P}:nlp.waf.ruleGroups[1]`,
            /^"AWSManagedRulesSQLiRuleSet" is listed twice$/,
        ],
        [
            "WAF over the 1,500 WCUs the base price covers",
            (r) =>
                (r[`${P}:nlp`] = obj({
                    vendorStack: "o/p/vendor",
                    imageTags: { nlpClient: "1", rakeApp: "1", proseApp: "1" },
                    waf: {
                        ruleGroups: [
                            "AWSManagedRulesCommonRuleSet",
                            "AWSManagedRulesSQLiRuleSet",
                            "AWSManagedRulesLinuxRuleSet",
                            "AWSManagedRulesWindowsRuleSet",
                            "AWSManagedRulesKnownBadInputsRuleSet",
                            "AWSManagedRulesUnixRuleSet",
                        ],
                    },
                })),
            `${P}:nlp.waf.ruleGroups`,
            /^need 1600 web ACL capacity units; the web ACL's base price covers 1500/,
        ],
        [
            "unknown key in the WAF block",
            (r) =>
                (r[`${P}:nlp`] = obj({
                    vendorStack: "o/p/vendor",
                    imageTags: { nlpClient: "1", rakeApp: "1", proseApp: "1" },
                    waf: { rules: [] },
                })),
            `${P}:nlp.waf.rules`,
            /unknown key/,
        ],
        [
            "public tasks with an internal load balancer still need public subnets",
            (r) => {
                r[`${P}:network`] = obj({ cidr: "10.20.0.0/16" });
                r[`${P}:nlp`] = obj({
                    vendorStack: "o/p/vendor",
                    imageTags: { nlpClient: "1", rakeApp: "1", proseApp: "1" },
                    internal: true,
                    publicTasks: true,
                });
            },
            `${P}:network.publicSubnets`,
            /^must be true when nlp.publicTasks is true/,
        ],
        [
            "block that is not a mapping",
            (r) => (r[`${P}:network`] = "10.20.0.0/16"),
            `${P}:network`,
            /must be an object/,
        ],
    ];
    for (const [title, breakIt, key, rule] of cases) {
        it(title, () => {
            const raw = customerConfig();
            breakIt(raw);
            const issue = configIssues(raw).find((i) => i.key === key);
            expect(
                issue,
                `no issue for ${key} in ${JSON.stringify(configIssues(raw))}`,
            ).to.not.equal(undefined);
            expect(issue!.message).to.match(rule);
        });
    }

    const idcCases: [string, (raw: Record<string, string>) => void, string, RegExp][] = [
        [
            "IDC CIDR overlapping the cloud VPC",
            (r) => (r[`${P}:idc`] = obj({ region: "ap-northeast-1", cidr: "10.0.0.0/16" })),
            `${P}:idc.cidr`,
            /^10.0.0.0\/16 overlaps network.cidr 10.0.0.0\/16$/,
        ],
        [
            "IDC region equal to the cloud region",
            (r) => (r[`${P}:idc`] = obj({ region: "ap-southeast-1", cidr: "10.100.0.0/16" })),
            `${P}:idc.region`,
            /must be in another region/,
        ],
        [
            "IDC in an unknown region",
            (r) => (r[`${P}:idc`] = obj({ region: "ap-northeast-9", cidr: "10.100.0.0/16" })),
            `${P}:idc.region`,
            /not a known AWS region/,
        ],
        [
            "IDC without a CIDR",
            (r) => (r[`${P}:idc`] = obj({ region: "ap-northeast-1" })),
            `${P}:idc.cidr`,
            /is required/,
        ],
        ["DNS TTL out of range", (r) => (r[`${P}:dns`] = obj({ ttl: 0 })), `${P}:dns.ttl`, />=1/],
        [
            "unknown DNS layout",
            (r) => (r[`${P}:dns`] = obj({ layout: "apex-cname" })),
            `${P}:dns.layout`,
            /exact|seed/,
        ],
        [
            "DNS without endpoints",
            (r) => delete r[`${P}:endpoints`],
            `${P}:dns`,
            /needs the `endpoints` block/,
        ],
        [
            "IDC without repositories to push to",
            (r) => delete r[`${P}:repositories`],
            `${P}:idc`,
            /needs the `repositories` block/,
        ],
        [
            "IDC with pull-only endpoints",
            (r) => (r[`${P}:endpoints`] = obj({ allowPush: false })),
            `${P}:endpoints.allowPush`,
            /must be true when `idc` is on/,
        ],
        [
            "IDC CIDR on Docker's default bridge",
            (r) => (r[`${P}:idc`] = obj({ region: "ap-northeast-1", cidr: "172.17.0.0/16" })),
            `${P}:idc.cidr`,
            /overlaps Docker's default bridge 172.17.0.0\/16/,
        ],
        [
            "Resolver endpoint in one AZ",
            (r) => {
                r[`${P}:network`] = obj({ cidr: "10.0.0.0/16", azCount: 1 });
                r[`${P}:dns`] = obj({ resolverEndpoint: true });
            },
            `${P}:dns.resolverEndpoint`,
            /needs two subnets/,
        ],
    ];
    for (const [title, breakIt, key, rule] of idcCases) {
        it(title, () => {
            const raw = idcConfig();
            breakIt(raw);
            const issue = configIssues(raw).find((i) => i.key === key);
            expect(
                issue,
                `no issue for ${key} in ${JSON.stringify(configIssues(raw))}`,
            ).to.not.equal(undefined);
            expect(issue!.message).to.match(rule);
        });
    }

    it("reports every broken rule at once, not only the first", () => {
        const raw = customerConfig();
        raw[`${P}:accountId`] = "1";
        raw[`${P}:netwrok`] = "{}";
        const keys = configIssues(raw).map((i) => i.key);
        expect(keys).to.include.members([`${P}:accountId`, `${P}:netwrok`]);
    });
});
