import { expect } from "chai";
import * as bcrypt from "bcryptjs";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { estimateCost, formatCostTable, loadPrices } from "../../src/report/cost";
import { buildArchitecture, renderMermaid } from "../../src/report/diagram";
import type { Plan } from "../../src/report/plan";
import { mockCloud } from "../../tools/mockCloud";
import { planStack } from "../../tools/plan";

const ROOT = path.resolve(__dirname, "../..");
const close = (actual: number, expected: number) => expect(actual).to.be.closeTo(expected, 0.005);

describe("the registry stack's summary and picture", function () {
    this.timeout(60000);
    let plan: Plan;
    before(async () => {
        plan = await planStack({ stackFile: path.join(ROOT, "Pulumi.registry.yaml") });
    });

    it("prices the NLB hourly and the bucket per GB, and adds up the registry against ECR", () => {
        const e = estimateCost(plan, { region: "us-east-1", prices: loadPrices() });
        const line = (type: string) => e.lines.find((l) => l.type === type)!;
        close(line("aws:lb/loadBalancer:LoadBalancer").monthlyUsd, 0.0225 * 730);
        expect(line("aws:lb/loadBalancer:LoadBalancer").basis).to.equal(
            "1 NLB x $0.0225/h x 730 h, + $0.006 per NLCU-hour (usage, not included)",
        );
        expect(line("aws:s3/bucket:Bucket").monthlyUsd).to.equal(0);
        expect(e.perGb).to.deep.include({
            what: "S3 Standard storage per GB-month (us-east-1)",
            usdPerGb: 0.023,
        });
        expect(e.notPriced).to.deep.equal([]);
        // Two tasks of 0.5 vCPU and 1 GB, the NLB, the config secret and the private zone.
        const fixed = 2 * (0.5 * 0.04048 + 1 * 0.004445) * 730 + 0.0225 * 730 + 0.4 + 0.5;
        const reg = e.registryComparison!;
        close(reg.fixedMonthlyUsd, fixed);
        expect(reg.s3UsdPerGbMonth).to.equal(0.023);
        expect(reg.ecrUsdPerGbMonth).to.equal(0.1);
        expect(reg.breakEvenGb).to.equal(Math.ceil(fixed / (0.1 - 0.023)));
        expect(reg.breakEvenGb).to.equal(694);
        expect(reg.examples).to.deep.equal([
            { gb: 100, selfHostedUsd: 55.67, ecrUsd: 10 },
            { gb: 1000, selfHostedUsd: 76.37, ecrUsd: 100 },
            { gb: 10000, selfHostedUsd: 283.37, ecrUsd: 1000 },
        ]);
        const text = formatCostTable(e);
        expect(text).to.include(
            "Self-hosted registry against ECR for the same storage: Self-hosted registry: $53.37/month fixed + $0.023/GB-month in S3; ECR: $0.1/GB-month, no fixed charge. Self-hosting costs less only above 694 GB stored.",
        );
        expect(text).to.include("| 1000 GB | $76.37 | $100.00 |");
    });

    it("leaves the comparison out of stacks without a self-hosted registry", () => {
        const customer = JSON.parse(
            fs.readFileSync(path.join(ROOT, "tests/fixtures/plans/customer-small.json"), "utf8"),
        ) as Plan;
        const e = estimateCost(customer, { region: "us-west-2", prices: loadPrices() });
        expect(e.registryComparison).to.equal(undefined);
        expect(formatCostTable(e)).not.to.include("Self-hosted registry");
    });

    it("draws the path: private zone -> NLB -> tasks, and the gateway endpoint -> the bucket", () => {
        const arch = buildArchitecture(plan, { region: "us-east-1" });
        const urn = (type: string) => plan.resources.find((r) => r.type === type)!.urn;
        const lb = urn("aws:lb/loadBalancer:LoadBalancer");
        const service = urn("aws:ecs/service:Service");
        const bucket = urn("aws:s3/bucket:Bucket");
        const zone = urn("aws:route53/zone:Zone");
        const gateway = plan.resources.find(
            (r) =>
                r.type === "aws:ec2/vpcEndpoint:VpcEndpoint" &&
                r.inputs.vpcEndpointType === "Gateway",
        )!.urn;
        const edge = (from: string, to: string) =>
            arch.edges.find((e) => e.from === from && e.to === to)?.label;
        expect(edge(zone, lb)).to.equal("alias");
        expect(edge(lb, service)).to.equal("TLS 443");
        expect(edge(gateway, bucket)).to.equal("storage");
        const mermaid = renderMermaid(plan, { region: "us-east-1" });
        expect(mermaid).to.include('["NLB registry<br/>internal"]');
        expect(mermaid).to.include('[("S3 bucket registry-registry-123456789012-us-east-1")]');
    });
});

describe("the registry stack with a pull-through cache image", function () {
    this.timeout(60000);
    it("runs the cache path by digest, with no repositories block, and may import only that repository", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "registry-ptc-"));
        try {
            const doc = YAML.parse(
                fs.readFileSync(path.join(ROOT, "Pulumi.registry.yaml"), "utf8"),
            );
            delete doc.config["ecr-private-access:repositories"];
            doc.config["ecr-private-access:registry"].image = {
                repository: "docker-hub/library/registry",
                digest: "sha256:6c5666b861f3505b116bb9aa9b25175e71210414bd010d92035ff64018f9457e",
                pullThroughCache: true,
            };
            const file = path.join(dir, "Pulumi.registry-ptc.yaml");
            fs.writeFileSync(file, YAML.stringify(doc));
            const plan = await planStack({ stackFile: file });
            const td = plan.resources.find(
                (r) => r.type === "aws:ecs/taskDefinition:TaskDefinition",
            )!;
            expect(JSON.parse(td.inputs.containerDefinitions as string)[0].image).to.equal(
                "123456789012.dkr.ecr.us-east-1.amazonaws.com/docker-hub/library/registry@sha256:6c5666b861f3505b116bb9aa9b25175e71210414bd010d92035ff64018f9457e",
            );
            const policy = plan.resources.find(
                (r) =>
                    r.type === "aws:iam/rolePolicy:RolePolicy" && r.name === "registry-execution",
            )!;
            const statements = JSON.parse(policy.inputs.policy as string).Statement;
            expect(statements[1].Resource).to.equal(
                "arn:aws:ecr:us-east-1:123456789012:repository/docker-hub/library/registry",
            );
            expect(statements[2]).to.deep.equal({
                Sid: "PullThroughCacheImport",
                Effect: "Allow",
                Action: ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"],
                Resource:
                    "arn:aws:ecr:us-east-1:123456789012:repository/docker-hub/library/registry",
            });
            // The tasks pull through the endpoints: their policies let exactly that
            // repository be imported (the rule itself is made outside this stack).
            for (const name of ["endpoints-ecr-api", "endpoints-ecr-dkr"]) {
                const endpoint = plan.resources.find((r) => r.name === name)!;
                const fill = JSON.parse(endpoint.inputs.policy as string).Statement.find(
                    (st: { Sid: string }) => st.Sid === "FillPullThroughCache",
                );
                expect(fill, name).to.deep.equal({
                    Sid: "FillPullThroughCache",
                    Effect: "Allow",
                    Principal: "*",
                    Action: ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"],
                    Resource:
                        "arn:aws:ecr:us-east-1:123456789012:repository/docker-hub/library/registry",
                    Condition: { StringEquals: { "aws:PrincipalAccount": ["123456789012"] } },
                });
            }
            // ... and the first pull has to be warmed up from outside.
            expect(plan.outputs.pullThroughCacheWarmUpCommands).to.deep.equal([
                "aws ecr get-login-password --region us-east-1 | docker login --username AWS --password-stdin 123456789012.dkr.ecr.us-east-1.amazonaws.com",
                "docker pull 123456789012.dkr.ecr.us-east-1.amazonaws.com/docker-hub/library/registry@sha256:6c5666b861f3505b116bb9aa9b25175e71210414bd010d92035ff64018f9457e",
            ]);
            expect(
                plan.resources.filter((r) => r.type === "aws:ecr/repository:Repository"),
            ).to.deep.equal([]);
            expect(plan.violations.filter((v) => v.enforcementLevel === "mandatory")).to.deep.equal(
                [],
            );
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("mock cloud: RandomPassword", () => {
    const answer = async (name: string) =>
        (await mockCloud({ account: "123456789012", region: "us-east-1", stack: "t" }).newResource({
            type: "random:index/randomPassword:RandomPassword",
            name,
            inputs: { length: 32, special: false },
            custom: true,
        })) as unknown as { state: { result: string; bcryptHash: string } };

    it("answers a real bcrypt hash ($2a$, cost 4) of the result, the same for the same name", async () => {
        const a = await answer("registry-user-ci");
        expect(a.state.bcryptHash).to.match(/^\$2a\$04\$[./A-Za-z0-9]{53}$/);
        expect(bcrypt.compareSync(a.state.result, a.state.bcryptHash)).to.equal(true);
        expect(bcrypt.compareSync(`${a.state.result}x`, a.state.bcryptHash)).to.equal(false);
        expect((await answer("registry-user-ci")).state).to.deep.equal(a.state);
        const b = await answer("registry-user-alice");
        expect(b.state.result).not.to.equal(a.state.result);
        expect(b.state.bcryptHash.slice(7, 29)).not.to.equal(a.state.bcryptHash.slice(7, 29));
    });
});
