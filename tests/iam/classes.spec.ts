import { expect } from "chai";
import fc from "fast-check";
import type { Plan, PlanResource } from "../../src/report/plan";
import { accessGrid, accessMarkdown, computeAccess, type AccessMatrix } from "../../tools/access";
import { classColumns, memberLines } from "../../tools/accessClasses";
import { planOf, planResource, policyDocument } from "../helpers/planResources";

/**
 * Equivalence classes of the access matrix's columns (tools/accessClasses.ts): the grouped
 * matrix, which simulates one target per class, must equal the ungrouped one cell for cell, on
 * random plans built to tell targets apart (exact ARNs, namespace and top-level wildcards, `?`,
 * case, NotResource, Deny, regions, replicas with creation templates, policies naming their own
 * ARN, endpoint policies, log groups and buckets).
 */

const ACCOUNT = "123456789012";
const REGION = "us-west-2";
const CONSUMER = "555555555555";
const PUSHER = "666666666666";

const res = planResource;
const plan = (resources: PlanResource[]): Plan =>
    planOf(resources, { stack: "classes", account: ACCOUNT, region: REGION });
const doc = policyDocument;
const PULL = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"];
const PUSH = [
    ...PULL,
    "ecr:PutImage",
    "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload",
];
const repoArn = (name: string, region = REGION) =>
    `arn:aws:ecr:${region}:${ACCOUNT}:repository/${name}`;

/** Resource policies of a repository (or a creation template, where `arn` is undefined). */
const REPOSITORY_POLICIES: ((arn?: string) => string | undefined)[] = [
    () => undefined,
    () =>
        doc({ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${CONSUMER}:root` }, Action: PULL }),
    // Naming its own ARN: siblings with the same policy for themselves are one class.
    (arn) =>
        doc({
            Effect: "Allow",
            Principal: { AWS: `arn:aws:iam::${CONSUMER}:root` },
            Action: PULL,
            ...(arn ? { Resource: arn } : {}),
        }),
    () =>
        doc({
            Effect: "Allow",
            Principal: { AWS: `arn:aws:iam::${CONSUMER}:root` },
            Action: PULL,
            Resource: `arn:aws:ecr:*:${ACCOUNT}:repository/team-a/*`,
        }),
    () => doc({ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${PUSHER}:root` }, Action: PUSH }),
    () =>
        doc(
            { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${CONSUMER}:root` }, Action: PULL },
            {
                Effect: "Deny",
                Principal: "*",
                Action: "ecr:BatchGetImage",
                NotResource: [repoArn("app*"), `arn:aws:ecr:*:${ACCOUNT}:repository/team-b/*`],
            },
        ),
];

/** Patterns of identity and endpoint policies, chosen to split the names below in many ways. */
const PATTERNS = [
    "*",
    repoArn("team-a/app"),
    repoArn("web", "eu-west-1"),
    `arn:aws:ecr:*:${ACCOUNT}:repository/team-a/*`,
    repoArn("team-b/*"),
    "arn:aws:ecr:*:*:repository/*",
    `arn:aws:ecr:eu-central-1:${ACCOUNT}:repository/*`,
    repoArn("app*"),
    repoArn("?pp"),
    `arn:aws:ecr:*:${ACCOUNT}:repository/*/app`,
    `arn:aws:ecr:US-WEST-2:${ACCOUNT}:repository/team-a/api`,
    repoArn("Team-a/*"),
    repoArn("app-internal"),
    repoArn("team-a"),
    `arn:aws:ecr:eu-west-1:${ACCOUNT}`,
    `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:app*`,
    `arn:aws:logs:*:*:log-group:*:log-stream:*`,
    `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:api-logs:*`,
    `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:App*`,
    "arn:aws:s3:::store-*",
    "arn:aws:s3:::store-a/*",
    "arn:aws:s3:::*/access-matrix",
];
const NAMES = [
    "team-a/app",
    "team-a/api",
    "team-b/app",
    "team-b/web",
    "team-c/x/app",
    "app",
    "api",
    "app-1",
    "web",
];
const ACTIONS = [
    PULL,
    PUSH,
    ["ecr:*"],
    ["ecr:BatchGetImage"],
    ["ecr:DeleteRepository", "ecr:SetRepositoryPolicy"],
    ["logs:*"],
    ["s3:GetObject", "s3:PutObject"],
    ["*"],
];

const statementArb = fc.record({
    effect: fc.constantFrom("Allow", "Allow", "Deny"),
    actions: fc.constantFrom(...ACTIONS),
    key: fc.constantFrom("Resource", "Resource", "NotResource"),
    patterns: fc.subarray(PATTERNS, { minLength: 1, maxLength: 4 }),
});

const stackArb = fc.record({
    repositories: fc.uniqueArray(
        fc.record({
            name: fc.constantFrom(...NAMES),
            region: fc.constantFrom(REGION, REGION, "eu-west-1"),
            policy: fc.nat({ max: REPOSITORY_POLICIES.length - 1 }),
        }),
        { minLength: 2, maxLength: 7, selector: (r) => r.name },
    ),
    replication: fc.option(
        fc.record({
            filters: fc.subarray(["team-a/", "team-b", "app", "web"]),
            templates: fc.uniqueArray(
                fc.record({
                    prefix: fc.constantFrom("ROOT", "team-a", "team-b"),
                    policy: fc.constantFrom(0, 1, 3, 4, 5),
                }),
                { maxLength: 3, selector: (t) => t.prefix },
            ),
        }),
        { nil: undefined },
    ),
    roles: fc.array(
        fc.record({
            login: fc.boolean(),
            statements: fc.array(statementArb, { minLength: 1, maxLength: 3 }),
        }),
        { maxLength: 3 },
    ),
    endpoints: fc.option(fc.subarray(PATTERNS, { minLength: 1, maxLength: 3 }), {
        nil: undefined,
    }),
    // Log group names may hold capitals, unlike repository and bucket names.
    logGroups: fc.subarray(["app-logs", "App-logs", "api-logs", "other"]),
    buckets: fc.uniqueArray(
        fc.record({ name: fc.constantFrom("store-a", "store-b", "other"), policy: fc.boolean() }),
        { maxLength: 2, selector: (b) => b.name },
    ),
});
type Stack = typeof stackArb extends fc.Arbitrary<infer S> ? S : never;

/** Cases where one list alone tells targets apart, besides the random ones. */
const EXAMPLES: Stack[] = [
    // A NotResource list: every repository but team-a's.
    {
        repositories: [
            { name: "team-a/app", region: REGION, policy: 0 },
            { name: "team-b/app", region: REGION, policy: 0 },
            { name: "app", region: REGION, policy: 0 },
        ],
        replication: undefined,
        roles: [
            {
                login: true,
                statements: [
                    {
                        effect: "Allow",
                        actions: PULL,
                        key: "NotResource",
                        patterns: [repoArn("team-a/*")],
                    },
                ],
            },
        ],
        endpoints: undefined,
        logGroups: [],
        buckets: [],
    },
    // Case: App* is not app*.
    {
        repositories: [{ name: "app", region: REGION, policy: 0 }],
        replication: undefined,
        roles: [
            {
                login: false,
                statements: [
                    {
                        effect: "Allow",
                        actions: ["logs:*"],
                        key: "Resource",
                        patterns: [`arn:aws:logs:${REGION}:${ACCOUNT}:log-group:App*`],
                    },
                ],
            },
        ],
        endpoints: undefined,
        logGroups: ["app-logs", "App-logs"],
        buckets: [],
    },
];

function build(s: Stack): Plan {
    const resources: PlanResource[] = [];
    for (const r of s.repositories) {
        resources.push(
            res("aws:ecr/repository:Repository", `repo-${r.name}`, {
                name: r.name,
                region: r.region,
            }),
        );
        const policy = REPOSITORY_POLICIES[r.policy](repoArn(r.name, r.region));
        if (policy) {
            resources.push(
                res("aws:ecr/repositoryPolicy:RepositoryPolicy", `policy-${r.name}`, {
                    repository: r.name,
                    region: r.region,
                    policy,
                }),
            );
        }
    }
    if (s.replication) {
        resources.push(
            res("aws:ecr/replicationConfiguration:ReplicationConfiguration", "repl", {
                region: REGION,
                replicationConfiguration: {
                    rules: [
                        {
                            destinations: [{ region: "eu-central-1", registryId: ACCOUNT }],
                            repositoryFilters: s.replication.filters.map((filter) => ({
                                filter,
                                filterType: "PREFIX_MATCH",
                            })),
                        },
                    ],
                },
            }),
        );
        for (const t of s.replication.templates) {
            resources.push(
                res(
                    "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate",
                    `t-${t.prefix}`,
                    {
                        prefix: t.prefix,
                        region: "eu-central-1",
                        appliedFors: ["REPLICATION"],
                        repositoryPolicy: REPOSITORY_POLICIES[t.policy](),
                    },
                ),
            );
        }
    }
    s.roles.forEach((r, i) => {
        const name = `role${i}`;
        resources.push(
            res(
                "aws:iam/role:Role",
                name,
                {
                    assumeRolePolicy: doc({
                        Effect: "Allow",
                        Principal: { Service: "ecs-tasks.amazonaws.com" },
                        Action: "sts:AssumeRole",
                    }),
                },
                { name: `${name}-phys`, arn: `arn:aws:iam::${ACCOUNT}:role/${name}-phys` },
                `${name}-phys`,
            ),
            res("aws:iam/rolePolicy:RolePolicy", `${name}-policy`, {
                role: `${name}-phys`,
                policy: doc(
                    ...(r.login
                        ? [{ Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" }]
                        : []),
                    ...r.statements.map((st) => ({
                        Effect: st.effect,
                        Action: st.actions,
                        [st.key]: st.patterns.length === 1 ? st.patterns[0] : st.patterns,
                    })),
                ),
            }),
        );
    });
    if (s.endpoints) {
        resources.push(res("aws:ec2/vpc:Vpc", "net", { cidrBlock: "10.0.0.0/16" }, {}, "vpc-1"));
        const policy = doc({ Effect: "Allow", Principal: "*", Action: "*", Resource: s.endpoints });
        for (const [service, id] of [
            ["ecr.api", "vpce-0aaaaaaaaaaaaaaa1"],
            ["ecr.dkr", "vpce-0aaaaaaaaaaaaaaa2"],
        ]) {
            resources.push(
                res(
                    "aws:ec2/vpcEndpoint:VpcEndpoint",
                    `ep-${service}`,
                    {
                        vpcId: "vpc-1",
                        serviceName: `com.amazonaws.${REGION}.${service}`,
                        vpcEndpointType: "Interface",
                        privateDnsEnabled: true,
                        policy,
                    },
                    {},
                    id,
                ),
            );
        }
    }
    for (const g of s.logGroups) {
        resources.push(res("aws:cloudwatch/logGroup:LogGroup", g, { name: g }));
    }
    for (const b of s.buckets) {
        resources.push(res("aws:s3/bucket:Bucket", b.name, { bucket: b.name }));
        if (b.policy) {
            resources.push(
                res("aws:s3/bucketPolicy:BucketPolicy", `${b.name}-policy`, {
                    bucket: b.name,
                    // Its own ARN: buckets with this policy for themselves are one class.
                    policy: doc({
                        Effect: "Allow",
                        Principal: { AWS: `arn:aws:iam::${CONSUMER}:root` },
                        Action: ["s3:GetObject", "s3:PutObject"],
                        Resource: `arn:aws:s3:::${b.name}/*`,
                    }),
                }),
            );
        }
    }
    return plan(resources);
}

const GROUPS = [
    ["team-a", 10],
    ["team-b", 6],
    ["team-c", 4],
] as const;

/** 20 repositories in three namespaces; a role that pushes to team-a only. */
function namespaces(count = 20, extra: Record<string, unknown>[] = []): Plan {
    const names = GROUPS.flatMap(([ns, n]) =>
        Array.from({ length: n }, (_, i) => `${ns}/app-${i}`),
    ).slice(0, count);
    return plan([
        ...names.map((name) =>
            res("aws:ecr/repository:Repository", `repo-${name}`, { name, region: REGION }),
        ),
        res(
            "aws:iam/role:Role",
            "ci",
            {},
            { name: "ci-phys", arn: `arn:aws:iam::${ACCOUNT}:role/ci-phys` },
            "ci-phys",
        ),
        res("aws:iam/rolePolicy:RolePolicy", "ci-policy", {
            role: "ci-phys",
            policy: doc(
                { Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
                { Effect: "Allow", Action: PUSH, Resource: repoArn("team-a/*") },
                ...extra,
            ),
        }),
    ]);
}

describe("access matrix classes (tools/accessClasses.ts)", function () {
    this.timeout(120_000);

    it("the grouped matrix equals the ungrouped one, cell for cell, on random plans", async () => {
        let grouped = 0;
        let ungrouped = 0;
        let shared = 0;
        await fc.assert(
            fc.asyncProperty(stackArb, async (s) => {
                const p = build(s);
                const g = await computeAccess(p);
                const u = await computeAccess(p, [], { group: false });
                expect(g.errors).to.deep.equal(u.errors);
                expect(g.cells).to.deep.equal(u.cells);
                expect(u.classes.every((c) => c.length === 1)).to.equal(true);
                expect(g.classes.flat()).to.have.members(g.targets);
                grouped += g.simulations;
                ungrouped += u.simulations;
                if (g.classes.some((c) => c.length > 1)) shared++;
            }),
            { numRuns: 100, seed: 16, endOnFailure: true, examples: EXAMPLES.map((e) => [e]) },
        );
        // Not vacuous: classes of several targets were formed and saved simulations.
        expect(shared).to.be.greaterThan(50);
        expect(grouped).to.be.lessThan(ungrouped * 0.9);
    });

    it("a role pushing to one namespace splits it from the others; the large matrix shows one column per class", async () => {
        const m = await computeAccess(namespaces());
        expect(m.classes.map((c) => c.length)).to.deep.equal([10, 10, 1]);
        expect(m.simulations).to.be.lessThan(
            (await computeAccess(namespaces(), [], { group: false })).simulations / 5,
        );
        const md = accessMarkdown(m);
        expect(md).to.contain(
            "| principal | via | team-a/* (10 repositories) | 10 repositories in 2 namespaces | app-0-internal (outside the stack) |",
        );
        expect(md).to.contain("| role ci | direct | pull, push | - | - |");
        expect(md).to.contain("21 resources in 3 columns");
        expect(md).to.contain(
            "- **10 repositories in 2 namespaces**\n  - team-b/: app-0, app-1, app-2, app-3, app-4, app-5\n  - team-c/: app-0, app-1, app-2, app-3",
        );
        expect(md).to.contain(
            "| team-a/* (10 repositories) | `arn:aws:ecr:us-west-2:123456789012:repository/team-a/app-0` and 9 more | none |  |",
        );
        // Every cell of every member is still in the matrix.
        expect(accessGrid(m)["role ci | direct"]["team-a/app-9"]).to.equal("pull, push");
        expect(accessGrid(m)["role ci | direct"]["team-c/app-3"]).to.equal("-");
    });

    it("replicas in several namespaces with the same template policy are one column, its templates listed", async () => {
        const base = namespaces(16).resources;
        const template = (prefix: string) =>
            res("aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate", `t-${prefix}`, {
                prefix,
                region: "eu-central-1",
                appliedFors: ["REPLICATION"],
                repositoryPolicy: REPOSITORY_POLICIES[1](),
            });
        const m = await computeAccess(
            plan([
                ...base,
                res("aws:ecr/replicationConfiguration:ReplicationConfiguration", "repl", {
                    region: REGION,
                    replicationConfiguration: {
                        rules: [
                            {
                                destinations: [{ region: "eu-central-1", registryId: ACCOUNT }],
                                repositoryFilters: [
                                    { filter: "team-", filterType: "PREFIX_MATCH" },
                                ],
                            },
                        ],
                    },
                }),
                template("team-a"),
                template("team-b"),
            ]),
        );
        const md = accessMarkdown(m);
        // The role's team-a/* is in us-west-2: it splits the namespaces at home, not the replicas.
        expect(md).to.contain(
            "| principal | via | team-a/* (10 repositories) | 16 repositories in 2 namespaces (eu-central-1 replica) | team-b/* (6 repositories) | app-0-internal (outside the stack) | app-0-internal (eu-central-1 replica, outside the stack) |",
        );
        expect(md).to.contain("| role ci | direct | pull, push | - | - | - | - |");
        // The consumer the templates grant pulls every replica, and nothing at home.
        expect(md).to.contain(`| account ${CONSUMER} (consumer) | direct | - | pull | - | - | - |`);
        expect(md).to.contain(
            "| 16 repositories in 2 namespaces (eu-central-1 replica) | `arn:aws:ecr:eu-central-1:123456789012:repository/team-a/app-0` and 15 more | creation templates team-a, team-b | created by registry replication |",
        );
        expect(md).to.contain(
            "- **16 repositories in 2 namespaces (eu-central-1 replica)**\n  - team-a/: app-0, app-1, app-2, app-3, app-4, app-5, app-6, app-7, app-8, app-9\n  - team-b/: app-0, app-1, app-2, app-3, app-4, app-5\n",
        );
    });

    it("12 repository columns show every repository; 13 show classes (the pictures' threshold)", async () => {
        // 11 repositories and the one outside the stack: 12 columns.
        const small = accessMarkdown(await computeAccess(namespaces(11)));
        expect(small).to.contain("| principal | via | team-a/app-0 | team-a/app-1 |");
        expect(small).to.not.contain("columns: a column stands for");
        const large = accessMarkdown(await computeAccess(namespaces(12)));
        expect(large).to.contain(
            "| principal | via | team-a/* (10 repositories) | team-b/* (2 repositories) | app-0-internal (outside the stack) |",
        );
    });

    for (const [what, statement, reason] of [
        [
            "a resource-tag condition",
            {
                Effect: "Deny",
                Action: "ecr:PutImage",
                Resource: "*",
                Condition: { StringEquals: { "aws:ResourceTag/frozen": "yes" } },
            },
            "a policy tests resource tags",
        ],
        [
            "an ecr:ResourceTag condition",
            {
                Effect: "Deny",
                Action: "ecr:PutImage",
                Resource: "*",
                Condition: { StringEquals: { "ecr:ResourceTag/frozen": "yes" } },
            },
            "a policy tests resource tags",
        ],
        [
            "a policy variable in a Resource",
            { Effect: "Allow", Action: PULL, Resource: repoArn("${aws:username}/*") },
            "policy variable",
        ],
    ] as [string, Record<string, unknown>, string][]) {
        it(`${what}: nothing is grouped, and access.md says why`, async () => {
            const m = await computeAccess(namespaces(20, [statement]));
            expect(m.ungrouped).to.contain(reason);
            expect(m.classes).to.have.length(m.targets.length);
            const md = accessMarkdown(m);
            expect(md).to.contain(`21 resources, each in its own column: ${m.ungrouped}.`);
            expect(md).to.contain("| principal | via | team-a/app-0 | team-a/app-1 |");
        });
    }

    it("policies naming their own repository group; one naming a sibling does not", async () => {
        const own = (name: string, target = name) =>
            res("aws:ecr/repositoryPolicy:RepositoryPolicy", `p-${name}`, {
                repository: name,
                region: REGION,
                policy: doc({
                    Effect: "Allow",
                    Principal: { AWS: `arn:aws:iam::${CONSUMER}:root` },
                    Action: PULL,
                    Resource: repoArn(target),
                }),
            });
        const p = plan([
            ...["a", "b", "c"].map((name) =>
                res("aws:ecr/repository:Repository", name, { name, region: REGION }),
            ),
            own("a"),
            own("b"),
            own("c", "a"),
        ]);
        const m = await computeAccess(p);
        expect(m.classes.map((c) => c.map((t) => t.label))).to.deep.equal([
            ["a", "b"],
            ["c"],
            ["a-internal (outside the stack)"],
        ]);
        const grid = accessGrid(m)[`account ${CONSUMER} (consumer) | direct`];
        expect(grid).to.deep.equal({
            a: "pull",
            b: "pull",
            c: "-",
            "a-internal (outside the stack)": "-",
        });
    });

    it("labels: a namespace, several, the top level, the stack prefix; unique", () => {
        const t = (label: string, arn: string, kind: "repository" | "secret" = "repository") => ({
            label,
            kind,
            arn,
            account: ACCOUNT,
            region: REGION,
            exists: true,
        });
        const cols = classColumns([
            [t("a/x", repoArn("a/x")), t("a/y", repoArn("a/y"))],
            [t("x", repoArn("x")), t("y", repoArn("y"))],
            [t("x", repoArn("x")), t("a/y", repoArn("a/y")), t("b/z", repoArn("b/z"))],
            [
                t("vendor: a/x (eu-west-1 replica)", repoArn("a/x", "eu-west-1")),
                t("vendor: a/y (eu-west-1 replica)", repoArn("a/y", "eu-west-1")),
            ],
            [t("a/z", repoArn("a/z")), t("a/w", repoArn("a/w"))],
            [t("secret s", "arn:s", "secret"), t("secret t", "arn:t", "secret")],
            [t("solo", repoArn("solo"))],
        ]);
        expect(cols.map((c) => c.label)).to.deep.equal([
            "a/* (2 repositories)",
            "2 top-level repositories",
            "3 repositories in 2 namespaces and the top level",
            "vendor: a/* (2 repositories, eu-west-1 replica)",
            "a/* (2 repositories) [2]",
            "2 secrets",
            "solo",
        ]);
        expect(memberLines(cols[2].members)).to.deep.equal(["x", "a/: y", "b/: z"]);
    });

    it("small matrices keep one column per resource and no member list", async () => {
        const m: AccessMatrix = await computeAccess(namespaces(5));
        const md = accessMarkdown(m);
        expect(md).to.contain(
            "| principal | via | team-a/app-0 | team-a/app-1 | team-a/app-2 | team-a/app-3 | team-a/app-4 | app-0-internal (outside the stack) |",
        );
        expect(md).to.not.contain("Resources of each column");
    });
});
