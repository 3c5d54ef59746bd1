/**
 * Pure builders for the registry endpoints: service names and the endpoint
 * policy documents. An endpoint policy is a second gate in front of the
 * service (the caller's own IAM permissions still apply), so `Principal: "*"`
 * is the normal form and the scoping is done on actions, resources and, for
 * ECR, on the caller's account (a data perimeter: credentials of an unrelated
 * account cannot use these endpoints, even to reach a repository that grants
 * that account).
 */

import { CACHE_FILL_ACTIONS } from "../ecr/pullThroughCache";
import { DESCRIBE_ACTIONS, PULL_ACTIONS, PUSH_ACTIONS } from "../iam";
import {
    REGISTRY_S3_BUCKET_ACTIONS,
    REGISTRY_S3_OBJECT_ACTIONS,
    bucketNameProblem,
} from "../registry/storage";

/** Interface endpoint services RegistryEndpoints knows how to create. */
export const INTERFACE_SERVICES = [
    "ecr.api",
    "ecr.dkr",
    "logs",
    "secretsmanager",
    "ssm",
    "ecs",
    "ecs-agent",
    "ecs-telemetry",
] as const;
export type InterfaceService = (typeof INTERFACE_SERVICES)[number];

/** The two services every registry client needs; they get the ECR endpoint policy. */
export const REQUIRED_INTERFACE_SERVICES: readonly InterfaceService[] = ["ecr.api", "ecr.dkr"];

export function isInterfaceService(service: string): service is InterfaceService {
    return (INTERFACE_SERVICES as readonly string[]).includes(service);
}

/** `com.amazonaws.<region>.<service>`, the PrivateLink service name in commercial regions. */
export function endpointServiceName(region: string, service: string): string {
    if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) {
        throw new Error(`"${region}" is not an AWS region name like us-west-2`);
    }
    if (service !== "s3" && !isInterfaceService(service)) {
        throw new Error(`unknown endpoint service "${service}"`);
    }
    return `com.amazonaws.${region}.${service}`;
}

/** Where ECR keeps image layers; a pull downloads them from S3 with a pre-signed URL. */
export function layerBucketObjectsArn(region: string): string {
    return `arn:aws:s3:::prod-${region}-starport-layer-bucket/*`;
}

// ---------------------------------------------------------------------------
// Policy documents

export interface EndpointPolicyStatement {
    Sid: string;
    Effect: "Allow";
    Principal: "*";
    Action: string[];
    Resource: string | string[];
    Condition?: Record<string, Record<string, string | string[]>>;
}

export interface EndpointPolicyDocument {
    Version: "2012-10-17";
    Statement: EndpointPolicyStatement[];
}

export interface EcrEndpointPolicyArgs {
    /** Region of the endpoints; a VPC endpoint only reaches its own region's registries. */
    region: string;
    /** Registries (account IDs) reachable through the endpoints; duplicates are dropped. */
    accounts: string[];
    /** Also allow `docker push` to those registries. */
    allowPush?: boolean;
    /**
     * An AWS Organization (`o-...`) whose principals may also use the endpoints,
     * besides those of `accounts`.
     */
    principalOrgId?: string;
    /**
     * Drop the data perimeter: any principal, from any account, may use the
     * endpoints (still only on the listed registries). Explicit widening only.
     * @default false
     */
    allowAnyPrincipal?: boolean;
    /**
     * Repository ARNs (or `.../repository/<prefix>/*` patterns) of the stack's pull-through
     * cache where a pull through the endpoints may fill the cache: ecr:BatchImportUpstreamImage
     * and ecr:CreateRepository on exactly these. Pulling cached images needs nothing more
     * (they are repositories of a listed registry).
     * @default [] (no statement: nothing can be imported through the endpoints)
     */
    cacheFillResources?: string[];
}

/** AWS Organizations ID (`o-` and 10 to 32 lower-case letters or digits). */
export const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;

/**
 * The checks on who an ECR endpoint policy admits, in the order they are
 * reported: each registry account is a 12-digit ID, `principalOrgId` is an
 * organization ID, and it is not given with `allowAnyPrincipal` (which would
 * ignore it). Throws naming the argument.
 */
export function assertEndpointPrincipals(args: {
    accounts: string[];
    principalOrgId?: string;
    allowAnyPrincipal?: boolean;
}): void {
    for (const account of args.accounts) {
        if (!/^\d{12}$/.test(account)) {
            throw new Error(`\`registryAccounts\`: "${account}" is not a 12-digit AWS account ID`);
        }
    }
    if (args.principalOrgId !== undefined && !ORGANIZATION_ID.test(args.principalOrgId)) {
        throw new Error(
            `\`principalOrgId\`: "${args.principalOrgId}" is not an AWS Organizations ID (o-xxxxxxxxxx)`,
        );
    }
    if (args.principalOrgId !== undefined && args.allowAnyPrincipal) {
        throw new Error(
            "`principalOrgId` has no effect with `allowAnyPrincipal`: give one of them",
        );
    }
}

/**
 * Policy for the ecr.api and ecr.dkr endpoints: pulls (and pushes when asked)
 * only on the listed registries' repositories, plus the token call, which has
 * no resource type and must be allowed on `*`. Without that statement
 * `docker login` through the endpoint fails and nothing can be pulled.
 *
 * Data perimeter (default): every statement holds only for principals of the
 * listed accounts (`aws:PrincipalAccount`), the stack's own among them, and,
 * with `principalOrgId`, for principals of that organization
 * (`aws:PrincipalOrgID`). Conditions in one statement are ANDed, so the
 * organization gets its own copy of each statement. Both are global condition
 * keys that endpoint policies support (AWS data perimeter guidance; IAM user
 * guide, "AWS global condition context keys").
 */
export function ecrEndpointPolicy(args: EcrEndpointPolicyArgs): EndpointPolicyDocument {
    const accounts = [...new Set(args.accounts)].sort();
    if (accounts.length === 0) {
        // A policy with no pull Allow would block every pull through the endpoint.
        throw new Error("`registryAccounts` must name at least one registry account");
    }
    assertEndpointPrincipals({
        accounts,
        principalOrgId: args.principalOrgId,
        allowAnyPrincipal: args.allowAnyPrincipal,
    });
    endpointServiceName(args.region, "ecr.api"); // validates the region
    const repositories = accounts.map((a) => `arn:aws:ecr:${args.region}:${a}:repository/*`);
    const grants: Omit<EndpointPolicyStatement, "Effect" | "Principal">[] = [
        { Sid: "AuthorizationToken", Action: ["ecr:GetAuthorizationToken"], Resource: "*" },
        {
            Sid: "PullFromListedRegistries",
            Action: [...PULL_ACTIONS, ...DESCRIBE_ACTIONS],
            Resource: repositories,
        },
    ];
    if (args.allowPush) {
        grants.push({
            Sid: "PushToListedRegistries",
            Action: [...PUSH_ACTIONS],
            Resource: repositories,
        });
    }
    const cache = [...new Set(args.cacheFillResources ?? [])];
    for (const arn of cache) {
        const m =
            /^arn:aws[a-z-]*:ecr:([a-z0-9-]+):(\d{12}):repository\/[a-z0-9._/-]+(?:\/\*)?$/.exec(
                arn,
            );
        if (!m || m[1] !== args.region || !accounts.includes(m[2])) {
            throw new Error(
                `\`cacheFillResources\`: "${arn}" is not a repository ARN (or <prefix>/* pattern) of a listed registry in ${args.region}`,
            );
        }
    }
    if (cache.length > 0) {
        grants.push({
            Sid: "FillPullThroughCache",
            Action: [...CACHE_FILL_ACTIONS],
            Resource: cache.length === 1 ? cache[0] : cache,
        });
    }
    const statements: EndpointPolicyStatement[] = [];
    for (const g of grants) {
        const base = { Sid: g.Sid, Effect: "Allow" as const, Principal: "*" as const };
        if (args.allowAnyPrincipal) {
            statements.push({ ...base, Action: g.Action, Resource: g.Resource });
            continue;
        }
        statements.push({
            ...base,
            Action: g.Action,
            Resource: g.Resource,
            Condition: { StringEquals: { "aws:PrincipalAccount": accounts } },
        });
        if (args.principalOrgId) {
            statements.push({
                ...base,
                Sid: `${g.Sid}Organization`,
                Action: g.Action,
                Resource: g.Resource,
                Condition: { StringEquals: { "aws:PrincipalOrgID": args.principalOrgId } },
            });
        }
    }
    return { Version: "2012-10-17", Statement: statements };
}

export interface S3GatewayPolicyArgs {
    region: string;
    /** Further S3 object ARNs (`arn:aws:s3:::bucket/key-pattern`) readable through the endpoint. */
    additionalResources?: string[];
    /**
     * Buckets the self-hosted registry stores images in: the S3 driver's
     * bucket and object actions are allowed on them through the endpoint.
     * The bucket policy decides which principal may use them.
     */
    readWriteBuckets?: string[];
}

const S3_OBJECT_ARN = /^arn:aws:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/.+$/;

/**
 * Policy for the S3 gateway endpoint: read-only access to ECR's layer bucket
 * for the region, and to the extra object ARNs the stack lists. A gateway
 * endpoint is the VPC's only route to S3 here, so anything not allowed is
 * unreachable from the private subnets. There is deliberately no
 * aws:PrincipalAccount condition: layers are fetched with a pre-signed URL
 * issued by ECR's own account, so such a condition denies every layer download.
 */
export function s3GatewayPolicy(args: S3GatewayPolicyArgs): EndpointPolicyDocument {
    endpointServiceName(args.region, "s3");
    const layers = layerBucketObjectsArn(args.region);
    const extra = [...new Set(args.additionalResources ?? [])].filter((r) => r !== layers);
    for (const arn of extra) {
        if (!S3_OBJECT_ARN.test(arn)) {
            throw new Error(
                `\`s3AdditionalResources\`: "${arn}" is not an S3 object ARN (arn:aws:s3:::<bucket>/<key or pattern>)`,
            );
        }
    }
    const statements: EndpointPolicyStatement[] = [
        {
            Sid: "EcrImageLayers",
            Effect: "Allow",
            Principal: "*",
            Action: ["s3:GetObject"],
            Resource: [layers],
        },
    ];
    if (extra.length > 0) {
        statements.push({
            Sid: "AdditionalObjects",
            Effect: "Allow",
            Principal: "*",
            Action: ["s3:GetObject"],
            Resource: extra,
        });
    }
    const buckets = [...new Set(args.readWriteBuckets ?? [])];
    for (const b of buckets) {
        const problem = bucketNameProblem(b);
        if (problem) throw new Error(`\`s3ReadWriteBuckets\`: ${problem}`);
    }
    if (buckets.length > 0) {
        statements.push({
            Sid: "RegistryStorage",
            Effect: "Allow",
            Principal: "*",
            Action: [...REGISTRY_S3_BUCKET_ACTIONS, ...REGISTRY_S3_OBJECT_ACTIONS],
            Resource: buckets.flatMap((b) => [`arn:aws:s3:::${b}`, `arn:aws:s3:::${b}/*`]),
        });
    }
    return { Version: "2012-10-17", Statement: statements };
}
