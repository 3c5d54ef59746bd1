import { expect } from "chai";
import * as path from "path";
import * as fs from "fs";
import * as os from "os";
import { renderMermaid } from "../../src/report/diagram";
import type { Plan, PlanResource } from "../../src/report/plan";
import { PlanConfigError, planStack, stackFiles } from "../../tools/plan";
import { planShippedStacks } from "../helpers/plans";

const ROOT = path.resolve(__dirname, "../..");
const stackFile = (name: string) => path.join(ROOT, `Pulumi.${name}.yaml`);
const ofType = (p: Plan, type: string) => p.resources.filter((r) => r.type === type);
const containers = (p: Plan) =>
    JSON.parse(
        ofType(p, "aws:ecs/taskDefinition:TaskDefinition")[0].inputs.containerDefinitions as string,
    ) as {
        name: string;
        image: string;
    }[];

describe("the shipped stacks, planned offline", function () {
    this.timeout(120_000);
    const plans: Record<string, Plan> = {};

    before(async () => {
        // Producers first, as `npm start` does, feeding outputs forward.
        Object.assign(plans, await planShippedStacks());
    });

    it("orders the vendor stack before the customer stack that references it", () => {
        expect(stackFiles(ROOT).map((f) => path.basename(f))).to.deep.equal([
            "Pulumi.vendor.yaml",
            "Pulumi.customer.yaml",
            "Pulumi.idc-sim.yaml",
            "Pulumi.registry.yaml",
        ]);
    });

    it("gives every stack its own account (registry: the AWS documentation example)", () => {
        const accounts = Object.values(plans).map((p) => p.outputs.accountId);
        expect(accounts).to.deep.equal([
            "111122223333",
            "444455556666",
            "777788889999",
            "123456789012",
        ]);
    });

    for (const stack of ["vendor", "customer", "idc-sim", "registry"]) {
        it(`${stack}: passes every mandatory policy`, () => {
            expect(
                plans[stack].violations.filter((v) => v.enforcementLevel === "mandatory"),
            ).to.deep.equal([]);
        });
    }

    it("vendor: exports the contract the customer reads (registry, region, per-region URLs and grants, release tags)", () => {
        const out = plans.vendor.outputs as any;
        expect(out.registryId).to.equal("111122223333");
        expect(out.region).to.equal("us-east-2");
        expect(out.pullGrants).to.deep.equal({
            consumers: { accounts: ["444455556666"], roleArns: [], organizationalUnitPaths: [] },
        });
        expect(out.repositories["shared/rake-app"]).to.deep.equal({
            arn: "arn:aws:ecr:us-east-2:111122223333:repository/shared/rake-app",
            url: "111122223333.dkr.ecr.us-east-2.amazonaws.com/shared/rake-app",
            urls: {
                "us-east-2": "111122223333.dkr.ecr.us-east-2.amazonaws.com/shared/rake-app",
                "us-west-2": "111122223333.dkr.ecr.us-west-2.amazonaws.com/shared/rake-app",
            },
            releaseTagPatterns: ["v*", "*.*.*"],
            pull: { "us-east-2": "consumers", "us-west-2": "consumers" },
        });
        expect(ofType(plans.vendor, "aws:ec2/vpc:Vpc")).to.have.length(0);
    });

    it("customer: runs the vendor image from the vendor plan's outputs, in its own region", () => {
        const images = Object.fromEntries(containers(plans.customer).map((c) => [c.name, c.image]));
        expect(images).to.deep.equal({
            "nlp-client": "444455556666.dkr.ecr.us-west-2.amazonaws.com/nlp-client:1.0.0",
            "rake-app": "111122223333.dkr.ecr.us-west-2.amazonaws.com/shared/rake-app:1.0.0",
            "prose-app": "444455556666.dkr.ecr.us-west-2.amazonaws.com/prose-app:1.0.0",
        });
        const ref = ofType(plans.customer, "pulumi:pulumi:StackReference");
        expect(ref.map((r) => r.name)).to.deep.equal(["organization/ecr-private-access/vendor"]);
    });

    it("customer: follows whatever the referenced stack exports (the reference is live, not hard-coded)", async () => {
        const vendor = JSON.parse(JSON.stringify(plans.vendor.outputs));
        vendor.registryId = "999988887777";
        vendor.repositories["shared/rake-app"].urls["us-west-2"] =
            "999988887777.dkr.ecr.us-west-2.amazonaws.com/shared/rake-app";
        const plan = await planStack({
            stackFile: stackFile("customer"),
            stackOutputs: { vendor },
        });
        expect(containers(plan).find((c) => c.name === "rake-app")!.image).to.equal(
            "999988887777.dkr.ecr.us-west-2.amazonaws.com/shared/rake-app:1.0.0",
        );
        // ...and lets that registry through the ECR endpoint policies.
        const dkr = ofType(plan, "aws:ec2/vpcEndpoint:VpcEndpoint").find((e) =>
            String(e.inputs.serviceName).endsWith(".ecr.dkr"),
        )!;
        const resources = JSON.parse(dkr.inputs.policy as string).Statement.flatMap((s: any) =>
            [s.Resource].flat(),
        );
        expect(resources).to.include("arn:aws:ecr:us-west-2:999988887777:repository/*");
    });

    it("customer: a vendor repository that is not replicated into the customer's region is a config error", async () => {
        const vendor = JSON.parse(JSON.stringify(plans.vendor.outputs));
        delete vendor.repositories["shared/rake-app"].urls["us-west-2"];
        let error: unknown;
        try {
            await planStack({ stackFile: stackFile("customer"), stackOutputs: { vendor } });
        } catch (e) {
            error = e;
        }
        expect(error).to.be.instanceOf(PlanConfigError);
        expect((error as Error).message).to.contain(
            'ecr-private-access:nlp.vendorRepository: "shared/rake-app" is not available in us-west-2',
        );
        expect((error as Error).message).to.contain(
            "(ecr-private-access:repositories.replicationRegions in Pulumi.vendor.yaml)",
        );
    });

    it("customer: exposes nothing: no internet route or gateway, an internal load balancer in the private subnets", () => {
        const plan = plans.customer;
        expect(ofType(plan, "aws:ec2/route:Route")).to.deep.equal([]);
        expect(ofType(plan, "aws:ec2/internetGateway:InternetGateway")).to.deep.equal([]);
        expect(ofType(plan, "aws:ec2/natGateway:NatGateway")).to.deep.equal([]);
        const subnets = ofType(plan, "aws:ec2/subnet:Subnet");
        expect(subnets.map((s) => s.inputs.mapPublicIpOnLaunch ?? false)).to.deep.equal([
            false,
            false,
        ]);
        const alb = ofType(plan, "aws:lb/loadBalancer:LoadBalancer")[0];
        expect(alb.inputs.internal).to.equal(true);
        expect([...(alb.inputs.subnets as string[])].sort()).to.deep.equal(
            subnets.map((s) => s.id).sort(),
        );
        // Only the VPC may reach the listener.
        const albSg = (alb.inputs.securityGroups as string[])[0];
        const ingress = ofType(plan, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
            .filter((r) => r.inputs.securityGroupId === albSg)
            .map((r) => [r.inputs.cidrIpv4, r.inputs.fromPort]);
        expect(ingress).to.deep.equal([["10.20.0.0/16", 80]]);
        const service = ofType(plan, "aws:ecs/service:Service")[0];
        expect((service.inputs.networkConfiguration as any).assignPublicIp).to.equal(false);
    });

    it("customer: its policy findings are the advisories for the plain HTTP it chose explicitly and its example accounts", () => {
        expect(plans.customer.violations.map((v) => [v.policy, v.enforcementLevel])).to.deep.equal([
            ["alb-plain-http-allowed", "advisory"],
            ["example-account-ids", "advisory"],
            ["example-account-ids", "advisory"],
        ]);
    });

    it("customer: without the explicit opt-in, its plain HTTP is a mandatory violation (exit 1)", async () => {
        const text = fs
            .readFileSync(stackFile("customer"), "utf8")
            .replace(/^\s*allowPlainHttp: true\n/m, "");
        expect(text).to.not.match(/^\s*allowPlainHttp:/m);
        const file = path.join(
            fs.mkdtempSync(path.join(os.tmpdir(), "nlp-")),
            "Pulumi.customer.yaml",
        );
        fs.writeFileSync(file, text);
        const plan = await planStack({
            stackFile: file,
            stackOutputs: { vendor: plans.vendor.outputs },
        });
        expect(
            plan.violations
                .filter((v) => v.enforcementLevel === "mandatory")
                .map((v) => [v.policy, v.urn?.split("::").pop()]),
        ).to.deep.equal([["alb-http-redirects-to-https", "nlp-http"]]);
    });

    it("idc-sim: builds in two regions, associates the ECR zones with the IDC VPC across regions", () => {
        const byRegion = (r: PlanResource) => (r.outputs.region as string) ?? "global";
        const regions = new Set(
            plans["idc-sim"].resources.filter((r) => r.type.startsWith("aws:ec2")).map(byRegion),
        );
        expect([...regions].sort()).to.deep.equal(["ap-northeast-1", "ap-southeast-1"]);
        const idcVpc = ofType(plans["idc-sim"], "aws:ec2/vpc:Vpc").find(
            (v) => v.inputs.region === "ap-northeast-1",
        )!;
        const zones = ofType(plans["idc-sim"], "aws:route53/zone:Zone");
        expect(zones.map((z) => z.inputs.name).sort()).to.deep.equal([
            "api.ecr.ap-southeast-1.amazonaws.com",
            "dkr.ecr.ap-southeast-1.amazonaws.com",
            "prod-ap-southeast-1-starport-layer-bucket.s3.ap-southeast-1.amazonaws.com",
        ]);
        zones.forEach((z) =>
            expect(z.inputs.vpcs).to.deep.equal([
                { vpcId: idcVpc.id, vpcRegion: "ap-northeast-1" },
            ]),
        );
    });

    it("idc-sim: writes the on-premises records for the data centre's DNS as an output", () => {
        const onPrem = (plans["idc-sim"].outputs as any).onPremDns;
        expect(onPrem.region).to.equal("ap-southeast-1");
        expect(onPrem.records.map((r: any) => [r.name, r.type])).to.deep.equal([
            ["api.ecr.ap-southeast-1.amazonaws.com", "CNAME"],
            ["dkr.ecr.ap-southeast-1.amazonaws.com", "CNAME"],
            ["*.dkr.ecr.ap-southeast-1.amazonaws.com", "CNAME"],
            ["prod-ap-southeast-1-starport-layer-bucket.s3.ap-southeast-1.amazonaws.com", "CNAME"],
        ]);
        const endpoints = ofType(plans["idc-sim"], "aws:ec2/vpcEndpoint:VpcEndpoint");
        const dkr = endpoints.find(
            (e) => String(e.inputs.serviceName) === "com.amazonaws.ap-southeast-1.ecr.dkr",
        )!;
        expect(onPrem.records[2].value).to.equal((dkr.outputs.dnsEntries as any)[0].dnsName);
        const s3 = endpoints.find((e) => e.name === "endpoints-s3-interface")!;
        expect(onPrem.records[3].value).to.equal(
            (s3.outputs.dnsEntries as any)[0].dnsName.replace(/^\*\./, "bucket."),
        );
    });

    it("idc-sim: pulls from the IDC reach the layer bucket through the S3 interface endpoint", () => {
        const plan = plans["idc-sim"];
        const endpoints = ofType(plan, "aws:ec2/vpcEndpoint:VpcEndpoint");
        const s3 = endpoints.filter(
            (e) => e.inputs.serviceName === "com.amazonaws.ap-southeast-1.s3",
        );
        expect(s3.map((e) => [e.name, e.inputs.vpcEndpointType])).to.deep.equal([
            ["endpoints-s3", "Gateway"],
            ["endpoints-s3-interface", "Interface"],
        ]);
        const iface = s3[1];
        expect(iface.inputs.privateDnsEnabled).to.equal(false);
        expect(iface.inputs.policy).to.equal(s3[0].inputs.policy);
        // Behind the endpoints' group, which lets the IDC CIDR in on 443...
        const dkr = endpoints.find((e) => e.name === "endpoints-ecr-dkr")!;
        expect(iface.inputs.securityGroupIds).to.deep.equal(dkr.inputs.securityGroupIds);
        expect(iface.inputs.subnetIds).to.deep.equal(dkr.inputs.subnetIds);
        const ingress = ofType(plan, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
            .filter(
                (r) => r.inputs.securityGroupId === (dkr.inputs.securityGroupIds as string[])[0],
            )
            .map((r) => [r.inputs.cidrIpv4, r.inputs.fromPort, r.inputs.toPort]);
        expect(ingress).to.deep.include(["10.100.0.0/16", 443, 443]);
        // ...and the IDC host may send 443 to the cloud VPC.
        const egress = ofType(plan, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
            .filter((r) => r.name === "idc-host-to-endpoints")
            .map((r) => [r.inputs.cidrIpv4, r.inputs.fromPort, r.inputs.toPort]);
        expect(egress).to.deep.equal([["10.0.0.0/16", 443, 443]]);
        // The IDC VPC resolves exactly the layer bucket host to the endpoint's wildcard name.
        const zone = ofType(plan, "aws:route53/zone:Zone").find(
            (z) => z.name === "ecr-dns-s3-layers",
        )!;
        const record = ofType(plan, "aws:route53/record:Record").find(
            (r) => r.name === "ecr-dns-s3-layers",
        )!;
        const entry = (iface.outputs.dnsEntries as any)[0];
        expect(record.inputs).to.deep.equal({
            zoneId: zone.id,
            name: "prod-ap-southeast-1-starport-layer-bucket.s3.ap-southeast-1.amazonaws.com",
            type: "A",
            aliases: [
                {
                    // In the form Route 53 returns it (`\052` for `*`): no diff on every run.
                    name: entry.dnsName.replace(/^\*/, "\\052"),
                    zoneId: entry.hostedZoneId,
                    evaluateTargetHealth: false,
                },
            ],
        });
        expect(entry.dnsName).to.match(
            /^\*\.vpce-[0-9a-f]+-[a-z0-9]+\.s3\.ap-southeast-1\.vpce\.amazonaws\.com$/,
        );
    });

    it("registry: runs the pinned image from its own repository, privately, and keeps passwords secret", () => {
        const plan = plans.registry;
        expect(containers(plan).map((c) => c.image)).to.deep.equal([
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/mirror/registry@sha256:6c5666b861f3505b116bb9aa9b25175e71210414bd010d92035ff64018f9457e",
        ]);
        const service = ofType(plan, "aws:ecs/service:Service")[0];
        const subnets = ofType(plan, "aws:ec2/subnet:Subnet");
        expect((service.inputs.networkConfiguration as any).assignPublicIp).to.equal(false);
        expect((service.inputs.networkConfiguration as any).subnets).to.deep.equal(
            subnets.map((s) => s.id),
        );
        expect(new Set(subnets.map((s) => s.inputs.availabilityZone)).size).to.equal(2);
        expect(ofType(plan, "aws:ec2/route:Route")).to.have.length(0);
        expect(ofType(plan, "aws:lb/loadBalancer:LoadBalancer")[0].inputs).to.include({
            loadBalancerType: "network",
            internal: true,
        });
        const out = plan.outputs as any;
        expect(out.registryPasswords).to.equal("[secret]");
        expect(out.registryUsers).to.deep.equal(["ci", "alice"]);
        expect(out.registryUrl).to.equal("https://registry.example.internal");
    });

    it("registry: the S3 gateway endpoint opens the bucket, and the bucket admits only that endpoint", () => {
        const plan = plans.registry;
        const bucket = "registry-registry-123456789012-us-east-1";
        const gateway = ofType(plan, "aws:ec2/vpcEndpoint:VpcEndpoint").find(
            (e) => e.inputs.vpcEndpointType === "Gateway",
        )!;
        const statements = JSON.parse(gateway.inputs.policy as string).Statement;
        expect(statements.map((s: any) => s.Sid)).to.deep.equal([
            "EcrImageLayers",
            "RegistryStorage",
        ]);
        expect(statements[1].Resource).to.deep.equal([
            `arn:aws:s3:::${bucket}`,
            `arn:aws:s3:::${bucket}/*`,
        ]);
        const policy = JSON.parse(
            ofType(plan, "aws:s3/bucketPolicy:BucketPolicy")[0].inputs.policy as string,
        );
        const allows = policy.Statement.filter((s: any) => s.Effect === "Allow");
        const role = ofType(plan, "aws:iam/role:Role").find((r) => r.name === "registry-task")!;
        expect(allows.map((s: any) => s.Condition)).to.deep.equal([
            {
                StringEquals: {
                    "aws:PrincipalArn": role.outputs.arn,
                    "aws:SourceVpce": gateway.id,
                },
            },
            {
                StringEquals: {
                    "aws:PrincipalArn": role.outputs.arn,
                    "aws:SourceVpce": gateway.id,
                },
            },
        ]);
        // The tasks read their secrets and write logs through endpoints the block added.
        const services = ofType(plan, "aws:ec2/vpcEndpoint:VpcEndpoint").map((e) =>
            String(e.inputs.serviceName).replace("com.amazonaws.us-east-1.", ""),
        );
        expect(services.sort()).to.deep.equal([
            "ecr.api",
            "ecr.dkr",
            "logs",
            "s3",
            "secretsmanager",
        ]);
    });

    it("README: the customer picture is the one generated from the current plan", () => {
        const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
        const embedded = /```mermaid\n([\s\S]*?)```/.exec(readme)?.[1];
        expect(embedded?.trim()).to.equal(
            renderMermaid(plans.customer, { region: "us-west-2" }).trim(),
        );
    });
});
