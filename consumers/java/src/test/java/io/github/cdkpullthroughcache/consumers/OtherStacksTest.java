package io.github.cdkpullthroughcache.consumers;

import static io.github.cdkpullthroughcache.consumers.ReferenceAppTest.PULL_ACTIONS;
import static io.github.cdkpullthroughcache.consumers.ReferenceAppTest.asList;
import static io.github.cdkpullthroughcache.consumers.ReferenceAppTest.flatten;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awscdk.App;
import software.amazon.awscdk.AppProps;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.assertions.Annotations;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;

/** The other stacks of the app: ECS Fargate service, consumer account, containerd node script. */
@SuppressWarnings("unchecked")
class OtherStacksTest {
    @TempDir
    static Path outdir;

    private static Map<String, Object> reference;
    private static Map<String, Object> fargate;
    private static Map<String, Object> consumer;

    @BeforeAll
    static void synthesize() {
        App app = ReferenceApp.build(outdir.toString());
        reference = Template.fromStack((Stack) app.getNode().findChild(ReferenceApp.STACK_NAME)).toJSON();
        fargate = Template.fromStack((Stack) app.getNode().findChild(ReferenceApp.FARGATE_STACK_NAME)).toJSON();
        consumer = Template.fromStack((Stack) app.getNode().findChild(ReferenceApp.CONSUMER_STACK_NAME)).toJSON();
    }

    private static Map<String, Map<String, Object>> resources(final Map<String, Object> template) {
        return (Map<String, Map<String, Object>>) template.get("Resources");
    }

    private static List<Map<String, Object>> ofType(final Map<String, Object> template, final String type) {
        List<Map<String, Object>> found = new ArrayList<>();
        for (Map<String, Object> resource : resources(template).values()) {
            if (type.equals(resource.get("Type"))) {
                found.add((Map<String, Object>) resource.get("Properties"));
            }
        }
        return found;
    }

    /** The properties of the template's one resource of a type. */
    private static Map<String, Object> only(final Map<String, Object> template, final String type) {
        List<Map<String, Object>> found = ofType(template, type);
        assertEquals(1, found.size(), "resources of type " + type);
        return found.get(0);
    }

    /** The image of the (only) task definition's only container. */
    private static Object image(final Map<String, Object> template) {
        List<Map<String, Object>> containers =
                (List<Map<String, Object>>) only(template, "AWS::ECS::TaskDefinition").get("ContainerDefinitions");
        assertEquals(1, containers.size());
        return containers.get(0).get("Image");
    }

    /** The logical ID of the (only) task definition's execution role. */
    private static String executionRoleId(final Map<String, Object> template) {
        Map<String, Object> arn = (Map<String, Object>) only(template, "AWS::ECS::TaskDefinition").get("ExecutionRoleArn");
        return (String) ((List<Object>) arn.get("Fn::GetAtt")).get(0);
    }

    /** The one statement of a role's policy that allows ecr:BatchImportUpstreamImage. */
    private static Map<String, Object> importStatement(final Map<String, Object> template, final String roleId) {
        List<Map<String, Object>> found = new ArrayList<>();
        for (Map<String, Object> policy : ofType(template, "AWS::IAM::Policy")) {
            if (!((List<Object>) policy.get("Roles")).contains(Map.of("Ref", roleId))) {
                continue;
            }
            for (Map<String, Object> s : (List<Map<String, Object>>) ((Map<String, Object>) policy.get("PolicyDocument")).get("Statement")) {
                if (asList(s.get("Action")).contains("ecr:BatchImportUpstreamImage")) {
                    found.add(s);
                }
            }
        }
        assertEquals(1, found.size(), "statements with ecr:BatchImportUpstreamImage for " + roleId);
        assertEquals(new TreeSet<>(PULL_ACTIONS), new TreeSet<>(asList(found.get(0).get("Action"))));
        return found.get(0);
    }

    @Test
    void theOtherStacksLeaveTheReferenceTemplateUnchanged(@TempDir final Path dir) {
        // The Fargate stack uses the reference stack's cache; it must not add exports to it.
        Stack alone = new ReferenceApp.ReferenceStack(new App(AppProps.builder().outdir(dir.toString()).build()), ReferenceApp.STACK_NAME);
        assertEquals(Template.fromStack(alone).toJSON(), reference);
    }

    @Test
    void everyStackSynthesizesWithoutWarnings(@TempDir final Path dir) {
        App app = ReferenceApp.build(dir.toString());
        for (String name : List.of(ReferenceApp.STACK_NAME, ReferenceApp.FARGATE_STACK_NAME, ReferenceApp.CONSUMER_STACK_NAME)) {
            Annotations.fromStack((Stack) app.getNode().findChild(name)).hasNoWarning("*", Match.anyValue());
        }
    }

    @Test
    void fargateServiceRunsTheCacheImage() {
        Map<String, Object> service = only(fargate, "AWS::ECS::Service");
        assertEquals("FARGATE", service.get("LaunchType"));
        assertEquals(Map.of("Enable", true, "Rollback", true),
                ((Map<String, Object>) service.get("DeploymentConfiguration")).get("DeploymentCircuitBreaker"));
        only(fargate, "AWS::ECS::Cluster");
        only(fargate, "AWS::EC2::VPC");
        // Environment-agnostic: ${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/dockercache/...
        assertEquals("${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/dockercache/library/nginx:1.27",
                flatten(image(fargate)));
    }

    @Test
    void fargateExecutionRoleMayImportUpstreamImages() {
        Map<String, Object> pull = importStatement(fargate, executionRoleId(fargate));
        assertEquals("arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/dockercache/*",
                flatten(pull.get("Resource")));
    }

    @Test
    void consumerAccountStackIsInItsOwnEnvironment(@TempDir final Path dir) {
        ConsumerAccountStack stack = new ConsumerAccountStack(new App(AppProps.builder().outdir(dir.toString()).build()), "Consumer");
        assertEquals("444455556666", stack.getAccount());
        assertEquals("eu-central-1", stack.getRegion());
        assertEquals("111122223333", stack.getCache().getEnv().getAccount());
        assertEquals("eu-west-1", stack.getCache().getEnv().getRegion());
    }

    @Test
    void consumerAccountGrantPointsAtTheCentralRegistry() {
        String roleId = resources(consumer).entrySet().stream()
                .filter(e -> "AWS::IAM::Role".equals(e.getValue().get("Type")) && e.getKey().startsWith("NodeRole"))
                .map(Map.Entry::getKey).findFirst().orElseThrow();
        Map<String, Object> pull = importStatement(consumer, roleId);
        assertEquals(List.of(
                "arn:aws:ecr:eu-west-1:111122223333:repository/dockercache/*",
                "arn:aws:ecr:eu-west-1:111122223333:repository/quaycache/*"),
                asList(pull.get("Resource")).stream().map(String.class::cast).sorted().toList());
    }

    @Test
    void consumerAccountTaskPullsFromTheCentralRegistry() {
        String want = "111122223333.dkr.ecr.eu-west-1.amazonaws.com/dockercache/library/nginx:1.27";
        assertEquals(want, image(consumer));
        assertEquals(want, ((Map<String, Object>) ((Map<String, Object>) consumer.get("Outputs")).get("NginxImageUri")).get("Value"));
        assertEquals("arn:aws:ecr:eu-west-1:111122223333:repository/dockercache/*",
                importStatement(consumer, executionRoleId(consumer)).get("Resource"));
    }

    @Test
    void launchTemplateRunsTheContainerdNodeScript() {
        Map<String, Object> data = (Map<String, Object>) only(consumer, "AWS::EC2::LaunchTemplate").get("LaunchTemplateData");
        // Environment-bound stacks: the cache's region and registry id are literals, those of the central
        // account, not the consumer stack's own.
        Object userData = ((Map<String, Object>) data.get("UserData")).get("Fn::Base64");
        assertTrue(userData instanceof String, String.valueOf(userData));
        String script = (String) userData;
        // (the script checks both, then fetches the token with `aws ecr get-authorization-token --region "$region" --registry-ids "$registry_id"`)
        assertTrue(script.contains(" 'eu-west-1') || exit 2"), "region");
        assertTrue(script.contains(" '111122223333') || exit 2"), "registry id");
        assertTrue(script.contains("111122223333.dkr.ecr.eu-west-1.amazonaws.com/v2/dockercache"), "mirror host");
        assertFalse(script.contains("444455556666") || script.contains("eu-central-1"), "names the consumer account or region");
        assertTrue(data.containsKey("IamInstanceProfile"));
    }
}
