package io.github.cdkpullthroughcache.consumers;

import io.github.cdkpullthroughcache.IPullThroughCache;
import io.github.cdkpullthroughcache.PullThroughCache;
import io.github.cdkpullthroughcache.PullThroughCacheAttributes;
import io.github.cdkpullthroughcache.UpstreamAttributes;
import io.github.cdkpullthroughcache.UpstreamRegistry;
import java.util.List;
import software.amazon.awscdk.CfnOutput;
import software.amazon.awscdk.Environment;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.services.ec2.LaunchTemplate;
import software.amazon.awscdk.services.ec2.MachineImage;
import software.amazon.awscdk.services.ec2.UserData;
import software.amazon.awscdk.services.ecs.ContainerDefinitionOptions;
import software.amazon.awscdk.services.ecs.FargateTaskDefinition;
import software.amazon.awscdk.services.iam.Role;
import software.amazon.awscdk.services.iam.ServicePrincipal;
import software.constructs.Construct;

/**
 * A workload account that pulls through the central account's cache, from another region: imports
 * the cache with {@code PullThroughCache.fromPullThroughCacheAttributes}, grants an EC2 node role the
 * pull, runs {@code cache.containerdNodeScript()} in a launch template's user data and a Fargate task
 * on {@code cache.containerImage()}.
 *
 * <p>The central account must open the cache to this one ({@code crossAccountAccess}, see
 * docs/multi-account.md, "Cross-account and organization access"); this side writes its own principals' policies.
 */
public final class ConsumerAccountStack extends Stack {
    /** The central account that owns the cache, and its region. */
    public static final Environment CENTRAL = Environment.builder().account("111122223333").region("eu-west-1").build();
    /** A workload account that pulls through the central cache from another region. */
    public static final Environment CONSUMER = Environment.builder().account("444455556666").region("eu-central-1").build();

    private final IPullThroughCache cache;
    private final Role nodeRole;
    private final LaunchTemplate launchTemplate;
    private final FargateTaskDefinition taskDefinition;

    public ConsumerAccountStack(final Construct scope, final String id) {
        super(scope, id, StackProps.builder().env(CONSUMER).build());

        // The upstreams as the central stack names them; credentials are neither needed nor checked here.
        cache = PullThroughCache.fromPullThroughCacheAttributes(this, "SharedCache", PullThroughCacheAttributes.builder()
                .account(CENTRAL.getAccount())
                .region(CENTRAL.getRegion())
                .upstreams(List.of(
                        UpstreamAttributes.builder().registry(UpstreamRegistry.dockerHub()).prefix("dockercache").build(),
                        UpstreamAttributes.builder().registry(UpstreamRegistry.quay()).prefix("quaycache").build()))
                .build());

        // EC2 (or EKS) nodes whose containerd pulls through the cache: the script fetches an ECR token
        // from the cache's registry and region with the node role, which therefore needs grantPull.
        nodeRole = Role.Builder.create(this, "NodeRole")
                .assumedBy(new ServicePrincipal("ec2.amazonaws.com"))
                .build();
        cache.grantPull(nodeRole);
        UserData userData = UserData.forLinux();
        userData.addCommands(cache.containerdNodeScript());
        launchTemplate = LaunchTemplate.Builder.create(this, "NodeTemplate")
                .machineImage(MachineImage.latestAmazonLinux2023())
                .role(nodeRole)
                .userData(userData)
                .build();

        // An ECS task of this account, its image pulled from the central registry.
        taskDefinition = FargateTaskDefinition.Builder.create(this, "Task")
                .cpu(256)
                .memoryLimitMiB(512)
                .build();
        taskDefinition.addContainer("web", ContainerDefinitionOptions.builder()
                .image(cache.containerImage("nginx:1.27"))
                .build());

        CfnOutput.Builder.create(this, "NginxImageUri").value(cache.imageUri("nginx:1.27")).build();
    }

    public IPullThroughCache getCache() {
        return cache;
    }

    public Role getNodeRole() {
        return nodeRole;
    }

    public LaunchTemplate getLaunchTemplate() {
        return launchTemplate;
    }

    public FargateTaskDefinition getTaskDefinition() {
        return taskDefinition;
    }
}
