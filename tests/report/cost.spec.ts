import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    DEFAULT_PRICES_PATH,
    REQUIRED_PRICE_KEYS,
    estimateCost,
    formatCostTable,
    loadPrices,
    type PriceTable,
} from "../../src/report/cost";
import type { Plan } from "../../src/report/plan";

const fixture = (name: string): Plan =>
    JSON.parse(fs.readFileSync(path.join(__dirname, "../fixtures/plans", `${name}.json`), "utf8"));
const close = (actual: number, expected: number) => expect(actual).to.be.closeTo(expected, 0.005);

describe("price table", () => {
    it("has every key the estimate reads, each with unit, region, source and date", () => {
        const prices = loadPrices(DEFAULT_PRICES_PATH, undefined);
        for (const key of REQUIRED_PRICE_KEYS) expect(prices.prices, key).to.have.property(key);
        for (const [key, p] of Object.entries(prices.prices)) {
            expect(p.unit, key).to.be.a("string").that.is.not.equal("");
            expect(p.source, key).to.be.a("string").that.is.not.equal("");
            expect(p.date, key).to.match(/^2026/);
            expect(p.region, key).to.be.oneOf(["us-east-1", "global"]);
        }
        for (const [region, m] of Object.entries(prices.regionMultipliers)) {
            expect(m, region)
                .to.have.property("source")
                .that.is.a("string")
                .that.does.not.equal("");
        }
        expect(prices.regionMultipliers["us-east-1"]).to.deep.equal({
            factor: 1,
            source: "base region",
        });
    });

    it("holds the AWS-FACTS.md prices", () => {
        const p = loadPrices().prices;
        expect(p.interfaceEndpointAzHour.usd).to.equal(0.01);
        expect(p.natGatewayHour.usd).to.equal(0.045);
        expect(p.albHour.usd).to.equal(0.0225);
        expect(p.fargateVcpuHour.usd).to.equal(0.04048);
        expect(p.fargateGbHour.usd).to.equal(0.004445);
        expect(p.route53PrivateZoneMonth.usd).to.equal(0.5);
        expect(p.resolverEndpointEniHour.usd).to.equal(0.125);
        expect(p.interRegionTransferGb.usd).to.equal(0.02);
        expect(p.secretsManagerSecretMonth.usd).to.equal(0.4);
    });
});

describe("price overrides", () => {
    let dir: string;
    let base: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "prices-"));
        base = path.join(dir, "prices.json");
        fs.copyFileSync(DEFAULT_PRICES_PATH, base);
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
    const write = (name: string, data: unknown) => {
        const file = path.join(dir, name);
        fs.writeFileSync(file, JSON.stringify(data));
        return file;
    };

    it("merges prices.local.json by key; a partial entry keeps the rest", () => {
        write("prices.local.json", {
            prices: { interfaceEndpointAzHour: { usd: 0.014 } },
            regionMultipliers: { "eu-west-1": 1.1 },
        });
        const prices = loadPrices(base);
        expect(prices.prices.interfaceEndpointAzHour.usd).to.equal(0.014);
        expect(prices.prices.interfaceEndpointAzHour.unit).to.equal("endpoint ENI per AZ-hour");
        expect(prices.prices.natGatewayHour.usd).to.equal(0.045);
        expect(prices.regionMultipliers["eu-west-1"]).to.equal(1.1);
        expect(prices.regionMultipliers["us-east-1"]).to.deep.include({ factor: 1 });

        const e = estimateCost(fixture("idc-sim-small"), {
            region: "us-east-1",
            prices,
        });
        const line = (type: string) => e.lines.find((l) => l.type === type)!;
        close(line("aws:ec2/vpcEndpoint:VpcEndpoint").monthlyUsd, 1 * 0.014 * 730);
        // The dev host lives in eu-west-1: its prices take the multiplier.
        close(line("aws:ec2/instance:Instance").monthlyUsd, (0.0104 * 730 + 8 * 0.08) * 1.1);
        expect(e.notes.join(" ")).not.to.include("eu-west-1");
    });

    it("takes an explicit override path and adds new keys", () => {
        const file = write("mine.json", {
            prices: {
                "ec2.m5.large": {
                    usd: 0.096,
                    unit: "instance-hour",
                    region: "us-east-1",
                    source: "test",
                    date: "2026",
                },
            },
        });
        expect(loadPrices(base, file).prices["ec2.m5.large"].usd).to.equal(0.096);
    });

    it("rejects a bad override, naming the file and the key", () => {
        const file = write("bad.json", {
            prices: { natGatewayHour: { usd: "cheap" } },
        });
        expect(() => loadPrices(base, file)).to.throw(
            /bad\.json[\s\S]*prices\.natGatewayHour\.usd/,
        );
    });

    it("rejects a new entry without its source", () => {
        const file = write("bad.json", {
            prices: {
                "ec2.m5.large": {
                    usd: 0.096,
                    unit: "h",
                    region: "us-east-1",
                    date: "2026",
                },
            },
        });
        expect(() => loadPrices(base, file)).to.throw(/prices\.ec2\.m5\.large\.source/);
    });

    it("rejects a table missing a required price and a missing override file", () => {
        const table = JSON.parse(fs.readFileSync(base, "utf8"));
        delete table.prices.albHour;
        fs.writeFileSync(base, JSON.stringify(table));
        expect(() => loadPrices(base)).to.throw(/missing prices `albHour`/);
        expect(() => loadPrices(DEFAULT_PRICES_PATH, path.join(dir, "nope.json"))).to.throw(
            /nope\.json: cannot read/,
        );
    });
});

describe("estimateCost", () => {
    let prices: PriceTable;
    before(() => (prices = loadPrices()));
    const p = (key: string) => prices.prices[key].usd;

    describe("customer plan (2 AZs, Fargate, ALB)", () => {
        const plan = fixture("customer-small");
        const line = (e: ReturnType<typeof estimateCost>, name: string) =>
            e.lines.find((l) => l.name === name)!;

        it("prices each interface endpoint per AZ-hour: 2 endpoints x 2 AZs x $0.01 x 730 = $29.20", () => {
            const e = estimateCost(plan, { region: "us-east-1", prices });
            const endpoints = e.lines.filter(
                (l) => l.type === "aws:ec2/vpcEndpoint:VpcEndpoint" && l.monthlyUsd > 0,
            );
            expect(endpoints).to.have.length(2);
            close(
                endpoints.reduce((s, l) => s + l.monthlyUsd, 0),
                2 * 2 * p("interfaceEndpointAzHour") * 730,
            );
            close(endpoints[0].monthlyUsd + endpoints[1].monthlyUsd, 29.2);
            expect(line(e, "customer-endpoints-s3")).to.include({
                monthlyUsd: 0,
                basis: "free (gateway endpoint)",
            });
        });

        it("adds up to the hand-computed total", () => {
            const e = estimateCost(plan, { region: "us-east-1", prices });
            const endpoints = 2 * 2 * p("interfaceEndpointAzHour") * 730;
            const zone = p("route53PrivateZoneMonth");
            const fargate =
                2 *
                ((1024 / 1024) * p("fargateVcpuHour") + (4096 / 1024) * p("fargateGbHour")) *
                730;
            // Internet-facing in two subnets: at least one public IPv4 address per AZ.
            const alb = (p("albHour") + 2 * p("publicIpv4Hour")) * 730;
            const secret = p("secretsManagerSecretMonth");
            close(line(e, "nlp-service").monthlyUsd, fargate);
            close(line(e, "nlp-alb").monthlyUsd, alb);
            expect(line(e, "nlp-alb").basis).to.equal(
                "1 ALB x $0.0225/h x 730 h + 2 public IPv4 (one per AZ, at least) x $0.005/h x 730 h, + $0.008 per LCU-hour (usage, not included)",
            );
            close(e.fixedMonthlyUsd, endpoints + zone + fargate + alb + secret);
            close(e.fixedMonthlyUsd, 138.88);
            expect(e.stack).to.equal("customer");
        });

        it("marks free resources $0 with basis free, components as components, unknown types as not priced", () => {
            const e = estimateCost(plan, { region: "us-east-1", prices });
            expect(e.freeTypes).to.include.members([
                "aws:iam/role:Role",
                "aws:ec2/securityGroup:SecurityGroup",
                "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
                "aws:ec2/vpc:Vpc",
                "aws:ecr/repositoryPolicy:RepositoryPolicy",
            ]);
            expect(e.components.map((c) => c.type)).to.have.members([
                "pulumi:pulumi:Stack",
                "ecr-private-access:network:PrivateNetwork",
                "ecr-private-access:network:RegistryEndpoints",
                "ecr-private-access:dns:EcrPrivateDns",
                "ecr-private-access:registry:SharedRepository",
                "ecr-private-access:app:NlpService",
            ]);
            expect(e.notPriced).to.deep.equal([
                {
                    urn: "urn:pulumi:customer::ecr-private-access::aws:sns/topic:Topic::alerts",
                    type: "aws:sns/topic:Topic",
                    reason: "type not in the price table",
                },
            ]);
            // Every resource is accounted for exactly once.
            expect(e.lines.length + e.components.length + e.notPriced.length).to.equal(
                plan.resources.length,
            );
        });

        it("lists usage rates instead of guessing traffic", () => {
            const e = estimateCost(plan, { region: "us-east-1", prices });
            expect(e.perGb).to.deep.include({
                what: "ECR image storage per GB-month (us-east-1)",
                usdPerGb: 0.1,
            });
            expect(e.perGb).to.deep.include({
                what: "Interface endpoint data processed (us-east-1)",
                usdPerGb: 0.01,
            });
            expect(line(e, "prose-app-repo").monthlyUsd).to.equal(0);
        });

        it("compares with one NAT gateway per AZ", () => {
            const n = estimateCost(plan, {
                region: "us-east-1",
                prices,
            }).natComparison;
            expect(n.azCount).to.equal(2);
            close(n.natMonthlyUsd, 2 * (p("natGatewayHour") + p("publicIpv4Hour")) * 730);
            close(n.natMonthlyUsd, 73);
            close(n.endpointsMonthlyUsd, 29.2);
            expect(n).to.include({
                natUsdPerGb: 0.045,
                endpointUsdPerGb: 0.01,
                breakEvenGbPerMonth: 0,
            });
            expect(n.note).to.include("cheaper at any traffic");
        });

        it("gives the break-even traffic when endpoints cost more than NAT", () => {
            const extra = structuredClone(plan);
            const api = extra.resources.find((r) => r.name === "customer-endpoints-api")!;
            for (const svc of ["logs", "secretsmanager", "ecs", "ecs-agent"]) {
                extra.resources.push({
                    ...structuredClone(api),
                    urn: `${api.urn}-${svc}`,
                    name: svc,
                    inputs: {
                        ...api.inputs,
                        serviceName: `com.amazonaws.us-east-1.${svc}`,
                    },
                });
            }
            const n = estimateCost(extra, {
                region: "us-east-1",
                prices,
            }).natComparison;
            const endpoints = 6 * 2 * 0.01 * 730; // 87.60
            close(n.endpointsMonthlyUsd, endpoints);
            expect(n.breakEvenGbPerMonth).to.equal(Math.ceil((endpoints - 73) / (0.045 - 0.01))); // 418
            expect(n.note).to.include("418 GB/month");
        });

        it("finds the task definition by family when the service names it so", () => {
            const other = structuredClone(plan);
            other.resources.find((r) => r.name === "nlp-service")!.inputs.taskDefinition = "nlp:1";
            const e = estimateCost(other, { region: "us-east-1", prices });
            close(line(e, "nlp-service").monthlyUsd, 2 * (0.04048 + 4 * 0.004445) * 730);
            other.resources.find((r) => r.name === "nlp-service")!.inputs.taskDefinition = "other";
            const missing = estimateCost(other, { region: "us-east-1", prices });
            expect(missing.notPriced.map((n) => n.reason)).to.include(
                "task definition cpu/memory not found",
            );
        });

        it("honours hoursPerMonth", () => {
            const e = estimateCost(plan, {
                region: "us-east-1",
                prices,
                hoursPerMonth: 100,
            });
            close(line(e, "customer-endpoints-api").monthlyUsd, 2 * 0.01 * 100);
            close(line(e, "customer-dns-dkr").monthlyUsd, 0.5);
        });
    });

    describe("idc-sim plan (two regions, Resolver, dev host)", () => {
        const plan = fixture("idc-sim-small");

        it("adds up to the hand-computed total and flags the region without a multiplier", () => {
            const e = estimateCost(plan, { region: "us-east-1", prices });
            const endpoints = 2 * 1 * 0.01 * 730; // 14.60
            const zones = 2 * 0.5;
            const resolver = 2 * 0.125 * 730; // 182.50
            const host = 0.0104 * 730 + 8 * 0.08; // 8.232
            close(e.fixedMonthlyUsd, endpoints + zones + resolver + host);
            const dev = e.lines.find(
                (l) => l.name === "idc-dev-host" && l.type === "aws:ec2/instance:Instance",
            )!;
            expect(dev.region).to.equal("eu-west-1");
            expect(e.notes.join(" ")).to.include("No region multiplier for eu-west-1");
            expect(e.perGb).to.deep.include({
                what: "Inter-region transfer to eu-west-1 (us-east-1)",
                usdPerGb: 0.02,
            });
            expect(e.notPriced).to.deep.equal([]);
            expect(e.freeTypes).to.include.members([
                "aws:ec2transitgateway/instanceConnectEndpoint:InstanceConnectEndpoint",
                "aws:iam/instanceProfile:InstanceProfile",
                "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter",
            ]);
        });

        it("compares NAT only in the VPC that has the interface endpoints", () => {
            const n = estimateCost(plan, {
                region: "us-east-1",
                prices,
            }).natComparison;
            expect(n.azCount).to.equal(1);
            close(n.natMonthlyUsd, 36.5);
            close(n.endpointsMonthlyUsd, 14.6);
        });

        it("lists an instance type without a price as not priced, never $0", () => {
            const other = structuredClone(plan);
            other.resources.find(
                (r) => r.type === "aws:ec2/instance:Instance",
            )!.inputs.instanceType = "x2iedn.32xlarge";
            const e = estimateCost(other, { region: "us-east-1", prices });
            expect(e.notPriced.map((n) => n.reason)).to.deep.equal([
                'no price for instance type "x2iedn.32xlarge"',
            ]);
            expect(e.lines.find((l) => l.type === "aws:ec2/instance:Instance")).to.equal(undefined);
        });
    });

    it("scales prices by the region multiplier of the stack region", () => {
        const factor = (prices.regionMultipliers["ap-southeast-1"] as { factor: number }).factor;
        const e = estimateCost(fixture("customer-small"), { region: "ap-southeast-1", prices });
        const api = e.lines.find((l) => l.name === "customer-endpoints-api")!;
        expect(api.region).to.equal("ap-southeast-1");
        close(api.monthlyUsd, 2 * 0.01 * 730 * factor);
        // Route 53 is global: no multiplier.
        close(e.lines.find((l) => l.type === "aws:route53/zone:Zone")!.monthlyUsd, 0.5);
        expect(e.notes).to.deep.equal([]);
    });

    it("prices the NLP edge: internal ALB without public IPv4, WAF per ACL and rule, log bucket by storage, free certificates", () => {
        const plan = fixture("customer-small");
        const alb = plan.resources.find((r) => r.name === "nlp-alb")!;
        alb.inputs.internal = true;
        const extra = (type: string, name: string, inputs: Record<string, unknown>) =>
            plan.resources.push({
                urn: `urn:pulumi:customer::ecr-private-access::${type}::${name}`,
                id: name,
                type,
                name,
                inputs,
                outputs: {},
                dependencies: [],
                propertyDependencies: {},
            });
        extra("aws:wafv2/webAcl:WebAcl", "nlp-waf", { scope: "REGIONAL", rules: [{}, {}, {}] });
        extra("aws:wafv2/webAclAssociation:WebAclAssociation", "nlp-waf", {});
        extra("aws:s3/bucket:Bucket", "nlp-access-logs", {});
        extra("aws:s3/bucketPolicy:BucketPolicy", "nlp-access-logs", {});
        extra("aws:acm/certificate:Certificate", "nlp", { domainName: "nlp.example.com" });
        extra("aws:acm/certificateValidation:CertificateValidation", "nlp", {});
        const e = estimateCost(plan, { region: "us-east-1", prices });
        const byName = (type: string) => e.lines.find((l) => l.type === type)!;
        close(byName("aws:lb/loadBalancer:LoadBalancer").monthlyUsd, p("albHour") * 730);
        expect(byName("aws:lb/loadBalancer:LoadBalancer").basis).to.include(
            "(internal: no public IPv4)",
        );
        close(byName("aws:wafv2/webAcl:WebAcl").monthlyUsd, 5 + 3 * 1);
        expect(byName("aws:wafv2/webAcl:WebAcl").basis).to.equal(
            "web ACL $5/month + 3 rules x $1/month, + $0.6 per million requests (usage, not included)",
        );
        expect(byName("aws:s3/bucket:Bucket").monthlyUsd).to.equal(0);
        expect(e.perGb).to.deep.include({
            what: "S3 Standard storage per GB-month (us-east-1)",
            usdPerGb: 0.023,
        });
        for (const t of [
            "aws:acm/certificate:Certificate",
            "aws:acm/certificateValidation:CertificateValidation",
            "aws:wafv2/webAclAssociation:WebAclAssociation",
            "aws:s3/bucketPolicy:BucketPolicy",
        ]) {
            expect(byName(t).monthlyUsd, t).to.equal(0);
        }
        // The same WAF price in every region.
        const far = estimateCost(plan, { region: "ap-southeast-1", prices });
        close(far.lines.find((l) => l.type === "aws:wafv2/webAcl:WebAcl")!.monthlyUsd, 8);
    });

    it("prices the pull-through cache: rules free, storage per GB, the temporary NAT it avoids", () => {
        const plan = fixture("customer-small");
        const extra = (type: string, name: string, inputs: Record<string, unknown>) =>
            plan.resources.push({
                urn: `urn:pulumi:customer::ecr-private-access::${type}::${name}`,
                id: name,
                type,
                name,
                inputs,
                outputs: {},
                dependencies: [],
                propertyDependencies: {},
            });
        const rule = "aws:ecr/pullThroughCacheRule:PullThroughCacheRule";
        extra(rule, "cache-docker-hub-rule", { ecrRepositoryPrefix: "docker-hub" });
        extra(rule, "cache-quay-rule", { ecrRepositoryPrefix: "quay" });
        extra("aws:ecr/registryPolicy:RegistryPolicy", "cache-registry-policy", {});
        extra(
            "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration",
            "cache-scanning",
            {},
        );
        const before = estimateCost(fixture("customer-small"), { region: "us-east-1", prices });
        expect(before.pullThroughCache).to.equal(undefined);
        const e = estimateCost(plan, { region: "us-east-1", prices });
        expect(e.notPriced.map((n) => n.type)).to.not.include(rule);
        expect(e.fixedMonthlyUsd).to.equal(before.fixedMonthlyUsd);
        expect(e.lines.filter((l) => l.type === rule).map((l) => l.basis)).to.deep.equal([
            "no fixed charge; cached images billed as ECR storage per GB-month",
            "no fixed charge; cached images billed as ECR storage per GB-month",
        ]);
        expect(e.perGb).to.deep.include({
            what: "ECR pull-through cache storage per GB-month (us-east-1)",
            usdPerGb: 0.1,
        });
        expect(e.pullThroughCache).to.deep.include({
            prefixes: ["docker-hub", "quay"],
            storageUsdPerGbMonth: 0.1,
            natAlternative: { usdPerHour: 0.05, usdPerMonth: 36.5, usdPerGb: 0.045 },
        });
        const text = formatCostTable(e);
        expect(text).to.include(
            "Pull-through cache (docker-hub, quay): cached images are ECR storage, $0.1/GB-month",
        );
        expect(text).to.include(
            "would cost $0.05/hour with its Elastic IP ($36.50/month if left running) + $0.045/GB processed",
        );
        // Scaled like every other price in a region with a multiplier.
        const far = estimateCost(plan, { region: "ap-southeast-1", prices }).pullThroughCache!;
        expect(far.storageUsdPerGbMonth).to.equal(0.13);
        expect(far.natAlternative.usdPerHour).to.equal(0.065);
    });

    it("says so when there are no interface endpoints to compare with NAT", () => {
        const plan = fixture("customer-small");
        plan.resources = plan.resources.filter((r) => r.inputs.vpcEndpointType !== "Interface");
        const n = estimateCost(plan, { region: "us-east-1", prices }).natComparison;
        expect(n.azCount).to.equal(2);
        expect(n.endpointsMonthlyUsd).to.equal(0);
        expect(n.note).to.include("no interface endpoints");
    });

    it("formats a Markdown table labelled as an estimate", () => {
        const text = formatCostTable(
            estimateCost(fixture("customer-small"), { region: "us-east-1", prices }),
        );
        expect(text).to.match(
            /^### Estimated monthly cost: ecr-private-access\/customer \(us-east-1\)/,
        );
        expect(text).to.include("Estimate only");
        expect(text).to.include("| resource | type | region | USD/month | basis |");
        expect(text).to.include(
            "| customer-endpoints-api | `aws:ec2/vpcEndpoint:VpcEndpoint` | us-east-1 | $14.60 | 2 AZs x $0.01/h x 730 h |",
        );
        expect(text).to.include("| **fixed total** | | | **$138.88** | |");
        expect(text).to.include("NAT gateway comparison:");
        expect(text).to.include("- `aws:sns/topic:Topic` alerts: type not in the price table");
    });
});

describe("formatCostTable at scale", () => {
    const prices = loadPrices();
    /** A plan of `repositories` repositories, `secrets` secrets and `topics` unpriced topics. */
    const scaled = (repositories: number, secrets = 0, topics = 0): Plan => {
        const r = (type: string, name: string, inputs: Record<string, unknown> = {}) => ({
            urn: `urn:pulumi:s::ecr-private-access::${type}::${name}`,
            id: `${name}-id`,
            type,
            name,
            inputs,
            outputs: {},
            dependencies: [],
            propertyDependencies: {},
        });
        return {
            project: "ecr-private-access",
            stack: "scaled",
            resources: [
                ...Array.from({ length: repositories }, (_, i) =>
                    r("aws:ecr/repository:Repository", `repo-${i}`, { name: `team/app-${i}` }),
                ),
                ...Array.from({ length: secrets }, (_, i) =>
                    r("aws:secretsmanager/secret:Secret", `secret-${i}`),
                ),
                ...Array.from({ length: topics }, (_, i) => r("aws:sns/topic:Topic", `t-${i}`)),
            ],
            outputs: {},
            violations: [],
        };
    };
    const table = (p: Plan) => formatCostTable(estimateCost(p, { region: "us-east-1", prices }));

    it("up to 12 alike resources keep a line each, as before", () => {
        const text = table(scaled(12));
        expect(text.match(/`aws:ecr\/repository:Repository`/g)).to.have.length(12);
        expect(text).to.include(
            "| repo-11 | `aws:ecr/repository:Repository` | us-east-1 | $0.00 | storage only (per GB-month) |",
        );
        expect(text).to.not.include("x12");
    });

    it("more share one line per type, region, basis and price, where the first was", () => {
        const text = table(scaled(4000, 13, 20));
        expect(text).to.include(
            "| Repository x4000 | `aws:ecr/repository:Repository` | us-east-1 | $0.00 | storage only (per GB-month) |\n" +
                "| Secret x13 | `aws:secretsmanager/secret:Secret` | us-east-1 | $5.20 | $0.40 each: secret, monthly fee |",
        );
        expect(text).to.include("| **fixed total** | | | **$5.20** | |");
        expect(text).to.include("Not priced (20, not counted in the total):");
        expect(text).to.include("- `aws:sns/topic:Topic` x20: type not in the price table");
        // The same table for 4,000 repositories as for 13.
        expect(text.length).to.equal(table(scaled(13, 13, 20)).length + 2);
    });
});
