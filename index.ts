import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DeveloperAccess } from "./components/developerAccess";
import { EcrPrivateDns } from "./components/ecrPrivateDns";
import { buildImages } from "./components/images";
import { NlpService } from "./components/nlpService";
import { PullThroughCache } from "./components/pullThroughCache";
import { PrivateNetwork } from "./components/privateNetwork";
import { RegistryEndpoints } from "./components/registryEndpoints";
import { RegistryReplication } from "./components/registryReplication";
import { SelfHostedRegistry } from "./components/selfHostedRegistry";
import { registryContract, SharedRepository } from "./components/sharedRepository";
import { SimulatedIdc } from "./components/simulatedIdc";
import { loadConfig } from "./src/config";
import { repositoryResourceName } from "./src/ecr/policies";
import { privateRegistryHost, warmUpCommands } from "./src/ecr/pullThroughCache";
import { cacheFillResources, cacheImages } from "./src/ecr/pullThroughCacheConfig";
import { pullCommands } from "./src/idc/host";
import { vendorImage } from "./src/nlp/vendor";
import { registryBucketName } from "./src/registry/checks";
import { availabilityZones } from "./src/regions";
import { usableZones } from "./components/zones";

// Config is read and validated once, here: a bad value stops the program
// before any resource is registered. Components never read config.
const { cfg, nlpApiKey, cacheTokens } = loadConfig(__dirname);

// Deploying with credentials for another account fails here, not half-way.
const accountId = aws.getCallerIdentityOutput().accountId.apply((id) => {
    if (id !== cfg.accountId) {
        throw new Error(
            `ecr-private-access:accountId is ${cfg.accountId}, but the credentials are for account ${id}`,
        );
    }
    return id;
});

const network =
    cfg.network &&
    new PrivateNetwork("network", {
        cidr: cfg.network.cidr,
        // The account's own zones where every interface endpoint service is offered.
        availabilityZones: usableZones({
            count: cfg.network.azCount,
            interfaceServices: [
                ...(cfg.endpoints?.interfaceServices ?? []),
                ...(cfg.endpoints?.s3Interface ? ["s3"] : []),
            ],
            configKey: "ecr-private-access:network.azCount",
        }),
        // Subnets were named after the region table's zones before v0.2.
        previousZoneNames: availabilityZones(cfg.region).slice(0, cfg.network.azCount),
        subnetPrefixLength: cfg.network.subnetPrefixLength,
        publicSubnets: cfg.network.publicSubnets,
    });

// The vendor's registry, from the vendor stack's outputs, when this stack runs its image.
const vendor = cfg.nlp && new pulumi.StackReference(cfg.nlp.vendorStack);
// Checked against the vendor's contract: replicated into this region, this account granted,
// the deployed tag a release tag of the vendor's lifecycle policy (a ConfigError otherwise).
const vendorRake =
    cfg.nlp &&
    vendor &&
    vendorImage(vendor, cfg.nlp, cfg.region, {
        accountId: cfg.accountId,
        organizationPath: cfg.nlp.organizationPath,
        imageTag: cfg.nlp.imageTags.rakeApp,
    });

const endpoints =
    cfg.endpoints &&
    network &&
    new RegistryEndpoints("endpoints", {
        vpcId: network.vpcId,
        vpcCidr: network.cidr,
        region: cfg.region,
        privateSubnetIds: network.privateSubnetIds,
        privateRouteTableIds: network.privateRouteTableIds,
        interfaceServices: cfg.endpoints.interfaceServices,
        placement: cfg.endpoints.placement,
        allowedCidrs: cfg.endpoints.onPremisesCidrs,
        allowWorldIngress: cfg.endpoints.allowWorldIngress,
        // The vendor's registry must be reachable through the endpoints, or its image can't be pulled.
        registryAccounts: [
            ...cfg.endpoints.registryAccounts,
            ...(vendorRake ? [vendorRake.registryId] : []),
        ],
        accountId,
        allowPush: cfg.endpoints.allowPush,
        principalOrgId: cfg.endpoints.principalOrgId,
        allowAnyPrincipal: cfg.endpoints.allowAnyPrincipal,
        s3AdditionalResources: cfg.endpoints.s3AdditionalResources,
        s3Interface: cfg.endpoints.s3Interface,
        // A pull of a not yet cached image imports it: exactly the cache prefixes.
        cacheFillResources: cacheFillResources(cfg),
        // The self-hosted registry's storage is reached through the gateway endpoint only.
        s3ReadWriteBuckets: cfg.registry ? [registryBucketName(cfg)] : [],
    });

const repos = (cfg.repositories?.names ?? []).map(
    (name) =>
        new SharedRepository(`repo-${repositoryResourceName(name)}`, {
            name,
            accountId: cfg.accountId,
            region: cfg.region,
            consumers: cfg.repositories!.consumers,
            codeBuild: cfg.repositories!.codeBuild,
            lifecycle: cfg.repositories!.lifecycle,
            kmsKeyArn: cfg.repositories!.kmsKeyArn,
            replicationRegions: cfg.repositories!.replicationRegions,
            retainOnDelete: cfg.repositories!.retainOnDelete,
            protect: cfg.repositories!.protect,
        }),
);
// Public images for networks with no internet (seed 001's need): ECR's pull-through cache.
const cache =
    cfg.pullThroughCache &&
    new PullThroughCache("cache", {
        accountId: cfg.accountId,
        region: cfg.region,
        rules: cfg.pullThroughCache.cacheRules.map((r) => ({
            upstream: r.upstream,
            prefix: r.prefix,
            username: r.username,
            // A secret Output of the `secure:` config value; plain text was refused in config.
            token: r.tokenKey ? cacheTokens[r.tokenKey] : undefined,
        })),
        kmsEncrypted: cfg.repositories?.kmsKeyArn !== undefined,
        unpulledExpireDays: cfg.pullThroughCache.unpulledExpireDays,
        consumers: cfg.pullThroughCache.consumers,
        scanOnPush: cfg.pullThroughCache.scanOnPush,
        scanRepositoryNames: cfg.repositories?.names ?? [],
    });
const cached = cacheImages(cfg);

// Images the stack builds from its own build contexts and pushes during
// `pulumi up` (Docker is needed there); referenced by digest from here on.
const images = cfg.images && buildImages(cfg.images, repos, __dirname);

if (repos.some((r) => r.replicationRegions.length > 0)) {
    new RegistryReplication("replication", { repositories: repos });
}

const developers =
    cfg.developers &&
    new DeveloperAccess("developers", {
        repositoryArns: repos.map((r) => r.arn),
        replicaRepositoryArns: repos.flatMap((r) => r.replicaArns),
        groupName: cfg.developers.groupName,
        users: cfg.developers.users,
    });

const repoUrl = (name: string) => repos.find((r) => r.name === name)!.url;
/** A repository's image: by digest when this stack builds it, else by the configured tag. */
const imageOf = (name: string, tag: string) =>
    images?.[name]?.uri ?? pulumi.interpolate`${repoUrl(name)}:${tag}`;
const nlp =
    cfg.nlp &&
    network &&
    vendorRake &&
    new NlpService("nlp", {
        vpcId: network.vpcId,
        privateSubnetIds: network.privateSubnetIds,
        publicSubnetIds: network.publicSubnetIds,
        endpointSecurityGroupId: endpoints?.securityGroupId,
        s3PrefixListId: endpoints?.s3PrefixListId,
        images: {
            nlpClient: imageOf(cfg.nlp.clientRepository, cfg.nlp.imageTags.nlpClient),
            rakeApp: pulumi.interpolate`${vendorRake.url}:${cfg.nlp.imageTags.rakeApp}`,
            proseApp: imageOf(cfg.nlp.proseRepository, cfg.nlp.imageTags.proseApp),
        },
        desiredCount: cfg.nlp.desiredCount,
        cpu: cfg.nlp.cpu,
        memory: cfg.nlp.memory,
        domain:
            cfg.nlp.domain !== undefined
                ? { name: cfg.nlp.domain, hostedZone: cfg.nlp.hostedZone! }
                : undefined,
        certificateArn: cfg.nlp.certificateArn,
        allowPlainHttp: cfg.nlp.allowPlainHttp,
        internal: cfg.nlp.internal,
        // An internal load balancer answers the VPC unless told otherwise.
        clientCidrs: cfg.nlp.clientCidrs ?? (cfg.nlp.internal ? [cfg.network!.cidr] : undefined),
        accessLogs: cfg.nlp.accessLogs,
        accessLogRetentionDays: cfg.nlp.accessLogRetentionDays,
        deletionProtection: cfg.nlp.deletionProtection,
        waf: cfg.nlp.waf,
        logRetentionDays: cfg.nlp.logRetentionDays,
        publicTasks: cfg.nlp.publicTasks,
        portFormat: cfg.nlp.portFormat,
        containerInsights: cfg.nlp.containerInsights,
        apiKey: nlpApiKey,
    });

const idc =
    cfg.idc &&
    network &&
    new SimulatedIdc("idc", {
        region: cfg.idc.region,
        cidr: cfg.idc.cidr,
        instanceType: cfg.idc.instanceType,
        amiId: cfg.idc.amiId,
        cloud: {
            vpcId: network.vpcId,
            cidr: network.cidr,
            region: cfg.region,
            privateRouteTableIds: network.privateRouteTableIds,
        },
        repositoryArns: repos.map((r) => r.arn),
        pushRepositoryArn: repos[0]?.arn,
        dnsLayout: cfg.dns?.layout,
        pullThroughCache: cache && {
            repositories: cache.repositoryPatterns,
            image: cached.idcImage,
        },
    });

const dns =
    cfg.dns &&
    endpoints &&
    network &&
    new EcrPrivateDns("ecr-dns", {
        region: cfg.region,
        apiDnsName: endpoints.apiDnsName,
        apiHostedZoneId: endpoints.apiHostedZoneId,
        dkrDnsName: endpoints.dkrDnsName,
        dkrHostedZoneId: endpoints.dkrHostedZoneId,
        // Layer downloads for the associated VPCs and on-premises (pulls), when built.
        s3InterfaceDnsName: endpoints.s3InterfaceDnsName,
        s3InterfaceHostedZoneId: endpoints.s3InterfaceHostedZoneId,
        layout: cfg.dns.layout,
        ttl: cfg.dns.ttl,
        associations: idc ? [{ vpcId: idc.vpcId, vpcRegion: idc.region }] : [],
        endpointVpcId: network.vpcId,
        resolver: cfg.dns.resolverEndpoint
            ? {
                  vpcId: network.vpcId,
                  subnetIds: network.privateSubnetIds.slice(0, 2),
                  allowedCidrs: cfg.endpoints!.onPremisesCidrs,
              }
            : undefined,
    });

// Seed 001's self-hosted registry, its image from this stack's own ECR (one
// of its repositories, or a pull-through cache path).
const registry =
    cfg.registry &&
    network &&
    endpoints &&
    new SelfHostedRegistry("registry", {
        vpcId: network.vpcId,
        vpcCidr: network.cidr,
        privateSubnetIds: network.privateSubnetIds,
        endpointSecurityGroupId: endpoints.securityGroupId,
        s3PrefixListId: endpoints.s3PrefixListId,
        s3GatewayEndpointId: endpoints.endpointIds.s3,
        hostName: cfg.registry.hostName,
        zoneName: cfg.registry.zoneName,
        image: cfg.registry.image.pullThroughCache
            ? `${cfg.accountId}.dkr.ecr.${cfg.region}.amazonaws.com/${cfg.registry.image.repository}@${cfg.registry.image.digest}`
            : pulumi.interpolate`${repoUrl(cfg.registry.image.repository)}@${cfg.registry.image.digest}`,
        pullThroughCache: cfg.registry.image.pullThroughCache,
        users: cfg.registry.users,
        passwordLength: cfg.registry.passwordLength,
        certificateSecretArn: cfg.registry.certificateSecretArn,
        certificateSecretKmsKeyArn: cfg.registry.certificateSecretKmsKeyArn,
        allowedCidrs: cfg.registry.allowedCidrs,
        desiredCount: cfg.registry.desiredCount,
        maxCount: cfg.registry.maxCount,
        cpuTargetPercent: cfg.registry.cpuTargetPercent,
        cpu: cfg.registry.cpu,
        memory: cfg.registry.memory,
        logRetentionDays: cfg.registry.logRetentionDays,
        containerInsights: cfg.registry.containerInsights,
        bucketName: registryBucketName(cfg),
        versioning: cfg.registry.versioning,
        noncurrentVersionDays: cfg.registry.noncurrentVersionDays,
    });

// Stack outputs. Only what a stack builds is exported (no undefined outputs).
const contract = repos.length > 0 ? registryContract(repos) : undefined;
export = prune({
    accountId,
    region: cfg.region,
    // The vendor -> customer contract (see README, "Sharing images across accounts").
    registryId: contract?.registryId,
    pullGrants: contract?.pullGrants,
    repositories: contract?.repositories,
    // Images this stack built, by repository: consumers can pin the digest.
    images:
        images &&
        Object.fromEntries(
            Object.values(images).map((i) => [i.repository, { tag: i.tag, uri: i.uri }]),
        ),
    developerGroupName: developers?.groupName,
    developerUserNames: developers?.userNames,
    vpcId: network?.vpcId,
    privateSubnetIds: network?.privateSubnetIds,
    endpointIds: endpoints?.endpointIds,
    endpointSecurityGroupId: endpoints?.securityGroupId,
    s3PrefixListId: endpoints?.s3PrefixListId,
    ecrApiDnsName: endpoints?.apiDnsName,
    ecrDkrDnsName: endpoints?.dkrDnsName,
    // What the data centre's DNS admins apply (the plan renders it under out/<stack>/onprem-dns/).
    onPremDns:
        dns &&
        pulumi.output({
            region: cfg.region,
            // How BIND and Windows DNS hold the records on-premises (see src/dns/onprem.ts).
            layout: cfg.dns!.layout,
            records: dns.onPremRecords,
            resolverIps: dns.resolverIps,
        }),
    dnsZoneIds: dns?.zoneIds,
    serviceUrl: nlp?.url,
    clusterName: nlp?.clusterName,
    serviceName: nlp?.serviceName,
    logGroupName: nlp?.logGroupName,
    apiKeySecretArn: nlp?.apiKeySecretArn,
    accessLogBucketName: nlp?.accessLogBucketName,
    vendorImage: vendorRake?.url,
    idcHostInstanceId: idc?.hostInstanceId,
    idcHostAmiId: idc?.amiId,
    idcConnectCommand: idc?.connectCommand,
    idcPushCommands: idc?.pushCommands,
    // Pull the image `pulumi up` built, by digest, from the IDC host.
    idcPullCommands:
        idc &&
        images?.[repos[0].name] &&
        images[repos[0].name].uri.apply((uri) => pullCommands(uri, cfg.region)),
    idcDoctorCommand: idc?.doctorCommand,
    // A Docker Hub image through the pull-through cache, from the IDC host (once warmed up).
    idcCachePullCommands: idc?.cachePullCommands,
    idcCacheDoctorCommand: idc?.cacheDoctorCommand,
    pullThroughCacheRegistry: cache?.registry,
    pullThroughCachePrefixes: cache?.prefixes,
    // The first pull of each image, from a network with an internet path (README, "First pulls").
    pullThroughCacheWarmUpCommands:
        cached.warmUp.length > 0
            ? warmUpCommands(
                  privateRegistryHost(cfg.accountId, cfg.region),
                  cfg.region,
                  cached.warmUp,
              )
            : undefined,
    registryUrl: registry?.url,
    registryNlbDnsName: registry?.nlbDnsName,
    registryBucketName: registry?.bucketName,
    registryClusterName: registry?.clusterName,
    registryServiceName: registry?.serviceName,
    registryUsers: registry?.users,
    // Secret: `pulumi stack output --show-secrets registryPasswords` reveals them.
    registryPasswords: registry?.passwords,
});

function prune<T extends Record<string, unknown>>(outputs: T): Partial<T> {
    return Object.fromEntries(
        Object.entries(outputs).filter(([, v]) => v !== undefined),
    ) as Partial<T>;
}
