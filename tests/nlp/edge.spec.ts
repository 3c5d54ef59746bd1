import { expect } from "chai";
import {
    accessLogBucketPolicy,
    DEFAULT_WAF_RULE_GROUPS,
    edgeConfigIssues,
    edgeMode,
    ELB_LOG_ACCOUNTS,
    elbLogWriter,
    listenerPorts,
    WAF_INCLUDED_WCU,
    WAF_MANAGED_RULE_GROUPS,
    wafRules,
} from "../../src/nlp/edge";
import { REGION_AZS } from "../../src/regions";

const CERT = "arn:aws:acm:us-west-2:444455556666:certificate/0a1b2c3d-1111-2222-3333-444455556666";

describe("NLP edge", () => {
    describe("edgeMode and listener ports", () => {
        it("a given certificate wins; a domain alone requests one; neither is plain HTTP", () => {
            expect(edgeMode({ certificateArn: CERT, domain: "nlp.example.com" })).to.equal(
                "certificate",
            );
            expect(edgeMode({ domain: "nlp.example.com" })).to.equal("domain");
            expect(edgeMode({})).to.equal("plain-http");
            expect(listenerPorts("plain-http")).to.deep.equal([80]);
            expect(listenerPorts("domain")).to.deep.equal([80, 443]);
            expect(listenerPorts("certificate")).to.deep.equal([80, 443]);
        });
    });

    describe("access-log delivery", () => {
        it("older regions write as their ELB account, newer ones as the log-delivery service", () => {
            expect(elbLogWriter("us-west-2")).to.deep.equal({
                AWS: "arn:aws:iam::797873946194:root",
            });
            expect(elbLogWriter("us-gov-west-1", "aws-us-gov")).to.deep.equal({
                AWS: "arn:aws-us-gov:iam::048591011584:root",
            });
            // Jakarta (December 2021) and later regions are not in ELB's account list.
            for (const region of ["ap-southeast-3", "me-central-1", "eu-central-2"]) {
                expect(elbLogWriter(region), region).to.deep.equal({
                    Service: "logdelivery.elasticloadbalancing.amazonaws.com",
                });
            }
        });
        it("knows the ELB account of every region the project accepts", () => {
            for (const region of Object.keys(REGION_AZS)) {
                expect(ELB_LOG_ACCOUNTS[region], region).to.match(/^\d{12}$/);
            }
        });
        it("bucket policy: TLS only, and PutObject for the writer under <prefix>/AWSLogs/<account>/ only", () => {
            expect(
                accessLogBucketPolicy({
                    bucketName: "logs-1",
                    accountId: "444455556666",
                    region: "me-central-1",
                }),
            ).to.deep.equal({
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "DenyInsecureTransport",
                        Effect: "Deny",
                        Principal: "*",
                        Action: "s3:*",
                        Resource: ["arn:aws:s3:::logs-1", "arn:aws:s3:::logs-1/*"],
                        Condition: { Bool: { "aws:SecureTransport": "false" } },
                    },
                    {
                        Sid: "LoadBalancerLogDelivery",
                        Effect: "Allow",
                        Principal: { Service: "logdelivery.elasticloadbalancing.amazonaws.com" },
                        Action: "s3:PutObject",
                        Resource: "arn:aws:s3:::logs-1/alb/AWSLogs/444455556666/*",
                    },
                ],
            });
        });
        it("refuses a prefix containing AWSLogs (ELB adds it)", () => {
            expect(() =>
                accessLogBucketPolicy({
                    bucketName: "b",
                    accountId: "444455556666",
                    region: "us-west-2",
                    prefix: "x/AWSLogs",
                }),
            ).to.throw(/must not contain "AWSLogs"/);
        });
    });

    describe("WAF rules", () => {
        it("the defaults fit the capacity the base price covers", () => {
            const wcu = DEFAULT_WAF_RULE_GROUPS.reduce((s, g) => s + WAF_MANAGED_RULE_GROUPS[g], 0);
            expect(wcu).to.equal(925);
            expect(wcu).to.be.at.most(WAF_INCLUDED_WCU);
        });
        it("one rule per group, in order, keeping the group's own actions", () => {
            expect(wafRules(["AWSManagedRulesAnonymousIpList"])).to.deep.equal([
                {
                    name: "AWSManagedRulesAnonymousIpList",
                    priority: 0,
                    overrideAction: { none: {} },
                    statement: {
                        managedRuleGroupStatement: {
                            vendorName: "AWS",
                            name: "AWSManagedRulesAnonymousIpList",
                        },
                    },
                    visibilityConfig: {
                        cloudwatchMetricsEnabled: true,
                        metricName: "AWSManagedRulesAnonymousIpList",
                        sampledRequestsEnabled: true,
                    },
                },
            ]);
            expect(() => wafRules(["AWSManagedRulesBotControlRuleSet"])).to.throw(
                /not a known AWS managed rule group/,
            );
        });
    });

    describe("edgeConfigIssues", () => {
        const base = { allowPlainHttp: false, internal: false };
        const issues = (c: object) => edgeConfigIssues({ ...base, ...c }, { region: "us-west-2" });

        it("accepts a domain in its zone (case and trailing dots ignored), the apex too", () => {
            expect(issues({ domain: "NLP.Example.com.", hostedZone: "example.com" })).to.deep.equal(
                [],
            );
            expect(issues({ domain: "example.com", hostedZone: "example.com." })).to.deep.equal([]);
            expect(issues({ certificateArn: CERT })).to.deep.equal([]);
            expect(issues({ allowPlainHttp: true, internal: true })).to.deep.equal([]);
        });
        it("refuses a name in a zone that only ends like it", () => {
            expect(
                issues({ domain: "nlp.badexample.com", hostedZone: "example.com" }),
            ).to.deep.equal([
                {
                    key: "domain",
                    message: '"nlp.badexample.com" is not in the hosted zone "example.com"',
                },
            ]);
        });
        it("refuses a single-label name, and a label that starts with a hyphen", () => {
            expect(issues({ domain: "localhost", hostedZone: "localhost" })[0].message).to.match(
                /must be a fully qualified name/,
            );
            expect(
                issues({ domain: "-a.example.com", hostedZone: "example.com" })[0],
            ).to.deep.equal({
                key: "domain",
                message:
                    '"-a.example.com" is not a DNS name (letters, digits and hyphens in dot-separated labels; no wildcard)',
            });
        });
        it("accepts exactly the base capacity, refuses one group more", () => {
            const at = [
                "AWSManagedRulesCommonRuleSet",
                "AWSManagedRulesSQLiRuleSet",
                "AWSManagedRulesLinuxRuleSet",
                "AWSManagedRulesWindowsRuleSet",
                "AWSManagedRulesKnownBadInputsRuleSet",
            ];
            expect(issues({ waf: { ruleGroups: at } })).to.deep.equal([]);
            expect(
                issues({ waf: { ruleGroups: [...at, "AWSManagedRulesAmazonIpReputationList"] } }),
            ).to.deep.equal([
                {
                    key: "waf.ruleGroups",
                    message:
                        "need 1525 web ACL capacity units; the web ACL's base price covers 1500 (more is billed per request and not priced here): drop a group",
                },
            ]);
        });
    });
});
