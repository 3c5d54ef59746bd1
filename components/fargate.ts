import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ecsTasksTrustPolicy } from "../src/ecs/iam";

/**
 * Building blocks of a Fargate service, shared by the program's services
 * (NlpService, SelfHostedRegistry). Not a component: each function registers
 * plain resources as children of the calling component (`parent`), under the
 * names it passes, so the resources' URNs are those the component would have
 * given them itself. What differs between services (container definitions,
 * secrets, load balancer, security groups) stays in the component.
 */

/** Tags of a child, by the suffix of its `Name` tag (`<component>-<suffix>`). */
export type ChildTags = (suffix: string) => Record<string, string>;

/**
 * Pinned rather than LATEST so the plan shows it: platform 1.4.0 is the first
 * that fetches images and secrets through the task's own ENI (and so through
 * the VPC endpoints: tasks with no internet route can use them), and that
 * supports JSON-key secret references.
 */
export const FARGATE_PLATFORM_VERSION = "1.4.0";

/** An ECS cluster with CloudWatch Container Insights at the given level. */
export function fargateCluster(
    name: string,
    args: { containerInsights: "enabled" | "enhanced"; tags: ChildTags },
    parent: pulumi.Resource,
): aws.ecs.Cluster {
    return new aws.ecs.Cluster(
        name,
        {
            settings: [{ name: "containerInsights", value: args.containerInsights }],
            tags: args.tags("cluster"),
        },
        { parent },
    );
}

/** The log group the task's containers write to (awslogs driver). */
export function taskLogGroup(
    name: string,
    args: { retentionDays: number; tags: ChildTags },
    parent: pulumi.Resource,
): aws.cloudwatch.LogGroup {
    return new aws.cloudwatch.LogGroup(
        name,
        { retentionInDays: args.retentionDays, tags: args.tags("logs") },
        { parent },
    );
}

export interface EcsTaskRolesArgs {
    /** The account, region and partition whose ECS tasks may assume the roles. */
    accountId: pulumi.Input<string>;
    region: pulumi.Input<string>;
    partition: pulumi.Input<string>;
    /** Description of the execution role (`<name>-execution`). */
    executionDescription: string;
    /**
     * The execution role's only permissions, a JSON policy document (see
     * `executionRolePolicy`): inline as `<name>-execution`, no managed policy.
     */
    executionPolicy: pulumi.Input<string>;
    /** Earlier names of the execution role's inline policy, kept as aliases. */
    executionPolicyAliases?: string[];
    /** Description of the task role (`<name>-task`). */
    taskDescription: string;
    /** Tags of the roles (`execution`, `task`). */
    tags: ChildTags;
}

/**
 * The execution role (ECS pulls images, writes logs, reads secrets) with its
 * inline policy, and the task role (what the containers may call). Only ECS
 * tasks of this account and region may assume either (confused deputy: see
 * `ecsTasksTrustPolicy`).
 */
export function ecsTaskRoles(
    name: string,
    args: EcsTaskRolesArgs,
    parent: pulumi.Resource,
): { executionRole: aws.iam.Role; taskRole: aws.iam.Role } {
    const assumeRolePolicy = pulumi
        .all([args.accountId, args.region, args.partition])
        .apply(([accountId, r, p]) =>
            JSON.stringify(ecsTasksTrustPolicy({ accountId, region: r, partition: p })),
        );
    const executionRole = new aws.iam.Role(
        `${name}-execution`,
        {
            description: args.executionDescription,
            assumeRolePolicy,
            tags: args.tags("execution"),
        },
        { parent },
    );
    // No managed policy: AmazonECSTaskExecutionRolePolicy grants pull and log writes on `*`.
    new aws.iam.RolePolicy(
        `${name}-execution`,
        { role: executionRole.name, policy: args.executionPolicy },
        { parent, aliases: (args.executionPolicyAliases ?? []).map((n) => ({ name: n })) },
    );
    const taskRole = new aws.iam.Role(
        `${name}-task`,
        {
            description: args.taskDescription,
            assumeRolePolicy,
            tags: args.tags("task"),
        },
        { parent },
    );
    return { executionRole, taskRole };
}

export interface FargateTaskDefinitionArgs {
    /** Task CPU units (a Fargate size). */
    cpu: number;
    /** Task memory in MiB (must go with `cpu` on Fargate). */
    memory: number;
    executionRole: aws.iam.Role;
    taskRole: aws.iam.Role;
    /** The container definitions, as a JSON string. */
    containerDefinitions: pulumi.Input<string>;
    /** Task volumes. @default none */
    volumes?: aws.ecs.TaskDefinitionArgs["volumes"];
    /** Tags of the task definition (`task`). */
    tags: ChildTags;
}

/** A Fargate task definition (awsvpc networking, Linux on x86-64), its family named after the component. */
export function fargateTaskDefinition(
    name: string,
    args: FargateTaskDefinitionArgs,
    parent: pulumi.Resource,
): aws.ecs.TaskDefinition {
    return new aws.ecs.TaskDefinition(
        name,
        {
            family: name,
            requiresCompatibilities: ["FARGATE"],
            networkMode: "awsvpc",
            cpu: String(args.cpu),
            memory: String(args.memory),
            runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
            executionRoleArn: args.executionRole.arn,
            taskRoleArn: args.taskRole.arn,
            ...(args.volumes !== undefined ? { volumes: args.volumes } : {}),
            containerDefinitions: args.containerDefinitions,
            tags: args.tags("task"),
        },
        { parent },
    );
}

export interface FargateServiceArgs {
    cluster: aws.ecs.Cluster;
    /** Changing it rolls out the new task definition. */
    taskDefinition: aws.ecs.TaskDefinition;
    /** Tasks kept running. */
    desiredCount: number;
    /** Subnets the tasks run in, spread over their availability zones. */
    subnets: pulumi.Input<string>[];
    /** The tasks' security group. */
    securityGroupId: pulumi.Input<string>;
    /** False for tasks in private subnets, which reach AWS through the VPC endpoints. */
    assignPublicIp: boolean;
    /** The container the load balancer's target group sends to. */
    loadBalancer: {
        targetGroupArn: pulumi.Input<string>;
        containerName: string;
        containerPort: number;
    };
    /**
     * Values whose change must roll the tasks: the versions of the secrets
     * the task reads, since ECS injects secrets only when a task starts (a new
     * version would otherwise leave the running tasks on the old value).
     */
    triggers: Record<string, pulumi.Input<string>>;
    /** Further service inputs this service sets. @default none */
    extra?: Pick<aws.ecs.ServiceArgs, "availabilityZoneRebalancing" | "waitForSteadyState">;
    /** Tags of the service (`service`). */
    tags: ChildTags;
}

/**
 * A Fargate service behind a load balancer: the pinned platform version, a
 * rolling deployment that keeps every task up (100-200 %) with the circuit
 * breaker rolling a failed one back, and a new deployment whenever a trigger
 * changes. `opts` carries the parent and what the service must wait for (the
 * target group's listener: a service can register targets only once the
 * target group is attached to one).
 */
export function fargateService(
    name: string,
    args: FargateServiceArgs,
    opts: pulumi.CustomResourceOptions & { parent: pulumi.Resource },
): aws.ecs.Service {
    return new aws.ecs.Service(
        name,
        {
            cluster: args.cluster.arn,
            taskDefinition: args.taskDefinition.arn,
            launchType: "FARGATE",
            platformVersion: FARGATE_PLATFORM_VERSION,
            desiredCount: args.desiredCount,
            deploymentMinimumHealthyPercent: 100,
            deploymentMaximumPercent: 200,
            deploymentCircuitBreaker: { enable: true, rollback: true },
            networkConfiguration: {
                subnets: args.subnets,
                securityGroups: [args.securityGroupId],
                assignPublicIp: args.assignPublicIp,
            },
            loadBalancers: [
                {
                    targetGroupArn: args.loadBalancer.targetGroupArn,
                    containerName: args.loadBalancer.containerName,
                    containerPort: args.loadBalancer.containerPort,
                },
            ],
            // The containers start before the health check answers; without a
            // grace period the first failed checks would kill the task.
            healthCheckGracePeriodSeconds: 60,
            enableEcsManagedTags: true,
            propagateTags: "SERVICE",
            forceNewDeployment: true,
            triggers: args.triggers,
            ...args.extra,
            tags: args.tags("service"),
        },
        opts,
    );
}

export interface LoadBalancerToTasksArgs {
    /** The load balancer's short name in the rules' names: `alb`, `nlb`. */
    lb: string;
    lbSecurityGroupId: pulumi.Input<string>;
    taskSecurityGroupId: pulumi.Input<string>;
    /** The tasks' port the load balancer sends to. */
    port: number;
    /** Description of the load balancer's egress rule. */
    outDescription: string;
    /** Description of the tasks' ingress rule. */
    inDescription: string;
    /** Tags of the rules (`<lb>-out-tasks`, `tasks-in-<lb>`). */
    tags: ChildTags;
}

/**
 * The pair of rules between a load balancer and its tasks, security group to
 * security group: the balancer may reach the tasks' port (requests and
 * health checks), and the tasks admit that port from the balancer only.
 * Named `<name>-<lb>-out-tasks` and `<name>-tasks-in-<lb>`.
 */
export function loadBalancerToTasks(
    name: string,
    args: LoadBalancerToTasksArgs,
    parent: pulumi.Resource,
): void {
    new aws.vpc.SecurityGroupEgressRule(
        `${name}-${args.lb}-out-tasks`,
        {
            securityGroupId: args.lbSecurityGroupId,
            ipProtocol: "tcp",
            fromPort: args.port,
            toPort: args.port,
            referencedSecurityGroupId: args.taskSecurityGroupId,
            description: args.outDescription,
            tags: args.tags(`${args.lb}-out-tasks`),
        },
        { parent },
    );
    new aws.vpc.SecurityGroupIngressRule(
        `${name}-tasks-in-${args.lb}`,
        {
            securityGroupId: args.taskSecurityGroupId,
            ipProtocol: "tcp",
            fromPort: args.port,
            toPort: args.port,
            referencedSecurityGroupId: args.lbSecurityGroupId,
            description: args.inDescription,
            tags: args.tags(`tasks-in-${args.lb}`),
        },
        { parent },
    );
}

export interface PrivateTaskEgressArgs {
    taskSecurityGroupId: pulumi.Input<string>;
    /** Security group of the interface endpoints (ecr.api, ecr.dkr, logs, secretsmanager). */
    endpointSecurityGroupId: pulumi.Input<string>;
    /** Prefix list of the S3 gateway endpoint (`pl-...`). */
    s3PrefixListId: pulumi.Input<string>;
    /** Description of the S3 rule: what the tasks fetch from S3. */
    s3Description: string;
    /** Tags of the rules (`tasks-out-endpoints`, `tasks-out-s3`). */
    tags: ChildTags;
}

/**
 * The only egress of tasks with no route to the internet: HTTPS to the
 * interface endpoints' security group and to S3 through the gateway
 * endpoint (image layers are served from S3). Named
 * `<name>-tasks-out-endpoints` and `<name>-tasks-out-s3`.
 */
export function privateTaskEgress(
    name: string,
    args: PrivateTaskEgressArgs,
    parent: pulumi.Resource,
): void {
    new aws.vpc.SecurityGroupEgressRule(
        `${name}-tasks-out-endpoints`,
        {
            securityGroupId: args.taskSecurityGroupId,
            ipProtocol: "tcp",
            fromPort: 443,
            toPort: 443,
            referencedSecurityGroupId: args.endpointSecurityGroupId,
            description: "HTTPS to the interface endpoints (ECR, Logs, Secrets Manager)",
            tags: args.tags("tasks-out-endpoints"),
        },
        { parent },
    );
    new aws.vpc.SecurityGroupEgressRule(
        `${name}-tasks-out-s3`,
        {
            securityGroupId: args.taskSecurityGroupId,
            ipProtocol: "tcp",
            fromPort: 443,
            toPort: 443,
            prefixListId: args.s3PrefixListId,
            description: args.s3Description,
            tags: args.tags("tasks-out-s3"),
        },
        { parent },
    );
}
