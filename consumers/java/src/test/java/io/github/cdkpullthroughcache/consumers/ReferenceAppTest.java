package io.github.cdkpullthroughcache.consumers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.cdkpullthroughcache.ImageReference;
import io.github.cdkpullthroughcache.PullThroughCache;
import io.github.cdkpullthroughcache.UpstreamDefinition;
import io.github.cdkpullthroughcache.UpstreamRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awscdk.App;
import software.amazon.awscdk.AppProps;
import software.amazon.awscdk.Environment;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.Token;
import software.amazon.awscdk.assertions.Template;
import software.amazon.jsii.JsiiException;

@SuppressWarnings("unchecked")
class ReferenceAppTest {
    static final Set<String> PULL_ACTIONS = Set.of(
            "ecr:BatchGetImage",
            "ecr:GetDownloadUrlForLayer",
            "ecr:BatchCheckLayerAvailability",
            "ecr:BatchImportUpstreamImage",
            "ecr:CreateRepository");

    @TempDir
    static Path outdir;

    private static Map<String, Object> template;

    @BeforeAll
    static void synthesize() {
        App app = ReferenceApp.build(outdir.toString());
        Stack stack = (Stack) app.getNode().findChild(ReferenceApp.STACK_NAME);
        template = Template.fromStack(stack).toJSON();
    }

    private static List<Map<String, Object>> ofType(final String type) {
        List<Map<String, Object>> found = new ArrayList<>();
        for (Object r : ((Map<String, Object>) template.get("Resources")).values()) {
            Map<String, Object> resource = (Map<String, Object>) r;
            if (type.equals(resource.get("Type"))) {
                found.add((Map<String, Object>) resource.get("Properties"));
            }
        }
        return found;
    }

    /** Renders an ARN (a string, or an Fn::Join of strings and Refs) as one string. */
    static String flatten(final Object value) {
        if (value instanceof String s) {
            return s;
        }
        Map<String, Object> map = (Map<String, Object>) value;
        if (map.containsKey("Fn::Join")) {
            List<Object> join = (List<Object>) map.get("Fn::Join");
            return ((List<Object>) join.get(1)).stream().map(ReferenceAppTest::flatten)
                    .collect(Collectors.joining((String) join.get(0)));
        }
        if (map.containsKey("Ref")) {
            return "${" + map.get("Ref") + "}";
        }
        throw new AssertionError("unexpected ARN shape: " + value);
    }

    static List<Object> asList(final Object value) {
        return value instanceof List ? (List<Object>) value : List.of(value);
    }

    @Test
    void fourRulesWithUrlsAndPrefixes() {
        List<Map<String, Object>> rules = ofType("AWS::ECR::PullThroughCacheRule");
        assertEquals(4, rules.size());
        Map<String, Object> got = new TreeMap<>();
        rules.forEach(r -> got.put((String) r.get("EcrRepositoryPrefix"), r.get("UpstreamRegistryUrl")));
        assertEquals(ReferenceApp.EXPECTED_UPSTREAMS, got);
    }

    @Test
    void credentialsOnlyWhereRequired() {
        for (Map<String, Object> rule : ofType("AWS::ECR::PullThroughCacheRule")) {
            String prefix = (String) rule.get("EcrRepositoryPrefix");
            boolean needs = prefix.equals("dockercache") || prefix.equals("ghcrcache");
            assertEquals(needs, rule.containsKey("CredentialArn"), "CredentialArn of " + prefix);
        }
        Set<Object> names = ofType("AWS::SecretsManager::Secret").stream().map(s -> s.get("Name"))
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(new TreeSet<>(Set.of("ecr-pullthroughcache/dockerio", "ecr-pullthroughcache/ghcr")), names);
    }

    @Test
    void oneRootTemplate() {
        List<Map<String, Object>> templates = ofType("AWS::ECR::RepositoryCreationTemplate");
        assertEquals(1, templates.size());
        assertEquals("ROOT", templates.get(0).get("Prefix"));
        assertEquals(List.of("PULL_THROUGH_CACHE"), templates.get(0).get("AppliedFor"));
    }

    @Test
    void grantPull() {
        List<Map<String, Object>> policies = ofType("AWS::IAM::Policy");
        assertEquals(1, policies.size());
        List<Map<String, Object>> statements =
                (List<Map<String, Object>>) ((Map<String, Object>) policies.get(0).get("PolicyDocument")).get("Statement");
        List<Map<String, Object>> token = statements.stream()
                .filter(s -> asList(s.get("Action")).equals(List.of("ecr:GetAuthorizationToken"))).toList();
        assertEquals(1, token.size());
        assertEquals("*", token.get(0).get("Resource"));
        List<Map<String, Object>> pull = statements.stream()
                .filter(s -> new TreeSet<>(asList(s.get("Action"))).equals(new TreeSet<>(PULL_ACTIONS))).toList();
        assertEquals(1, pull.size());
        List<String> arns = asList(pull.get(0).get("Resource")).stream().map(ReferenceAppTest::flatten).sorted().toList();
        List<String> prefixes = new ArrayList<>(ReferenceApp.EXPECTED_UPSTREAMS.keySet());
        assertEquals(prefixes.size(), arns.size());
        for (int i = 0; i < arns.size(); i++) {
            assertTrue(arns.get(i).matches(".*:ecr:.*:repository/" + prefixes.get(i) + "/\\*"), arns.get(i));
        }
    }

    @Test
    void imageUriOutput() {
        // The stack is environment-agnostic: the URI is a token, resolved in the template to an Fn::Join.
        Map<String, Object> outputs = (Map<String, Object>) template.get("Outputs");
        Object value = ((Map<String, Object>) outputs.get("AlpineImageUri")).get("Value");
        assertTrue(value instanceof Map && ((Map<String, Object>) value).containsKey("Fn::Join"), String.valueOf(value));
        String uri = flatten(value);
        assertTrue(uri.endsWith(ReferenceApp.ALPINE_PATH), uri);
        assertTrue(uri.contains(".dkr.ecr."), uri);
        assertEquals("docker pull " + uri, flatten(((Map<String, Object>) outputs.get("PullExample")).get("Value")));
    }

    @Test
    void imageUriIsATokenInAnEnvAgnosticStack(@TempDir final Path dir) {
        ReferenceApp.ReferenceStack stack = new ReferenceApp.ReferenceStack(
                new App(AppProps.builder().outdir(dir.toString()).build()), "Agnostic");
        assertTrue(Token.isUnresolved(stack.getAlpineUri()), stack.getAlpineUri());
    }

    @Test
    void imageUriIsLiteralInAStackWithAnEnvironment(@TempDir final Path dir) {
        ReferenceApp.ReferenceStack stack = new ReferenceApp.ReferenceStack(
                new App(AppProps.builder().outdir(dir.toString()).build()), "Fixed",
                StackProps.builder().env(Environment.builder().account("123456789012").region("eu-west-1").build()).build());
        assertEquals("123456789012.dkr.ecr.eu-west-1.amazonaws.com/dockercache/library/alpine:3",
                stack.getCache().imageUri("alpine:3"));
    }

    @Test
    void imageReferenceParse() {
        ImageReference ref = ImageReference.parse("alpine:3");
        assertEquals("docker.io", ref.getDomain());
        assertEquals("library/alpine", ref.getRepository());
        assertEquals("3", ref.getTag());
        assertNull(ref.getDigest());
        assertTrue(ref.getIsDockerHub());
        assertEquals("docker.io/library/alpine:3", ref.toString());
    }

    @Test
    void badPrefixThrows() {
        Stack stack = new Stack(new App(), "Bad");
        // jsii surfaces a JavaScript Error thrown in a constructor as a software.amazon.jsii.JsiiException
        // (a RuntimeException).
        JsiiException error = assertThrows(JsiiException.class, () -> PullThroughCache.Builder.create(stack, "Cache")
                .upstreams(List.of(UpstreamDefinition.builder().registry(UpstreamRegistry.quay()).prefix("Bad").build()))
                .build());
        assertTrue(error.getMessage().contains("upstream 'Bad'"), error.getMessage());
    }

    @Test
    void badImageReferenceThrows() {
        // ... but one thrown by a static method as a plain java.lang.RuntimeException (jsii-runtime 1.140.0),
        // so callers can only rely on RuntimeException.
        RuntimeException error = assertThrows(RuntimeException.class, () -> ImageReference.parse("Alpine:3"));
        assertTrue(error.getMessage().contains("Invalid image reference 'Alpine:3'"), error.getMessage());
    }
}
