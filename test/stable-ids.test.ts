import { Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { RepositoryTemplateOptions, TemplateScope, UpstreamDefinition, UpstreamRegistry } from '../src';
import { buildReference, permutations } from './support/helpers';

/*
 * The logical IDs of a cache are a compatibility promise: every property of a pull-through cache
 * rule is create-only, so a changed ID replaces the rule and empties the cache. If a test here
 * fails, users' caches would be replaced on their next deployment.
 */

const PER_UPSTREAM: RepositoryTemplateOptions = { scope: TemplateScope.PER_UPSTREAM };
const TAGGED_PER_UPSTREAM: RepositoryTemplateOptions = { resourceTags: { team: 'platform' }, lifecycleRules: [{ maxImageCount: 10 }] };

function synth(options: Parameters<typeof buildReference>[0]): string {
  return JSON.stringify(Template.fromStack(buildReference(options).stack).toJSON());
}

const extra = (): UpstreamDefinition[] => [{ registry: UpstreamRegistry.ecrPublic() }];

describe('the order of the upstreams does not matter', () => {
  const orders = permutations([0, 1, 2, 3]);

  test('24 orders of the reference use case give byte-identical templates', () => {
    expect(orders).toHaveLength(24);
    const baseline = synth({ order: orders[0] });
    for (const order of orders.slice(1)) {
      expect(synth({ order })).toBe(baseline);
    }
  });

  test.each([
    ['PER_UPSTREAM', PER_UPSTREAM],
    ['PER_UPSTREAM with a template role', TAGGED_PER_UPSTREAM],
    ['ANY_PREFIX with a template role', { scope: TemplateScope.ANY_PREFIX, encryption: ecr.RepositoryEncryption.KMS, resourceTags: { a: 'b' } }],
  ])('%s: every order gives byte-identical templates', (_what, repositoryTemplate) => {
    const baseline = synth({ order: orders[0], repositoryTemplate });
    for (const order of orders.slice(1)) {
      expect(synth({ order, repositoryTemplate })).toBe(baseline);
    }
  });
});

describe('adding an upstream only adds resources', () => {
  test.each([
    ['ANY_PREFIX (reference)', undefined],
    ['PER_UPSTREAM', PER_UPSTREAM],
    ['PER_UPSTREAM with a template role', TAGGED_PER_UPSTREAM],
  ])('%s', (_what, repositoryTemplate) => {
    const small = Template.fromStack(buildReference({ repositoryTemplate }).stack).toJSON().Resources;
    // The new upstream sorts before the others, the hardest case for positional IDs.
    const large = Template.fromStack(buildReference({
      repositoryTemplate,
      extraUpstreams: [{ registry: UpstreamRegistry.ecrPublic(), prefix: 'aaacache' }],
    }).stack).toJSON().Resources;

    const added = Object.keys(large).filter(id => !(id in small));
    expect(added.length).toBeGreaterThan(0);
    expect(added.every(id => id.startsWith('Cacheaaacache'))).toBe(true);
    let grown = 0;
    for (const [id, resource] of Object.entries<any>(small)) {
      expect(large).toHaveProperty([id]);
      if (resource.Type === 'AWS::IAM::Policy') {
        const before = resource.Properties.PolicyDocument.Statement;
        const after = large[id].Properties.PolicyDocument.Statement;
        expect({ ...large[id].Properties, PolicyDocument: undefined }).toEqual({ ...resource.Properties, PolicyDocument: undefined });
        expect(after).toHaveLength(before.length);
        after.forEach((statement: any, i: number) => {
          // Every resource the statement had, it still has.
          const was = [before[i].Resource].flat();
          const is = [statement.Resource].flat();
          expect(is).toEqual(expect.arrayContaining(was));
          grown += is.length - was.length;
        });
      } else {
        expect(large[id]).toEqual(resource);
      }
    }
    expect(grown).toBeGreaterThan(0); // the puller's grant did grow
  });

  test('the extra upstream of the default kind keeps the others too', () => {
    const small = Template.fromStack(buildReference({ grant: false }).stack).toJSON().Resources;
    const large = Template.fromStack(buildReference({ grant: false, extraUpstreams: extra() }).stack).toJSON().Resources;
    for (const [id, resource] of Object.entries<any>(small)) {
      expect(large[id]).toEqual(resource);
    }
    expect(Object.keys(large)).toHaveLength(Object.keys(small).length + 1);
  });
});

describe('pinned logical IDs', () => {
  function ids(repositoryTemplate?: RepositoryTemplateOptions): Record<string, string> {
    const resources = Template.fromStack(buildReference({ repositoryTemplate }).stack).toJSON().Resources;
    return Object.fromEntries(Object.entries<any>(resources).map(([id, r]) => [id, r.Type]));
  }

  test('the reference use case (ANY_PREFIX)', () => {
    expect(ids()).toEqual({
      DockerHubSecret9BE6658C: 'AWS::SecretsManager::Secret',
      GhcrSecretEA0AD9C8: 'AWS::SecretsManager::Secret',
      CacheRootTemplate425E07D4: 'AWS::ECR::RepositoryCreationTemplate',
      CachedockercacheRule0FEEC018: 'AWS::ECR::PullThroughCacheRule',
      CacheghcrcacheRule01A7BC54: 'AWS::ECR::PullThroughCacheRule',
      Cachek8scacheRule49DD3B5D: 'AWS::ECR::PullThroughCacheRule',
      CachequaycacheRule7BBEBADC: 'AWS::ECR::PullThroughCacheRule',
      Puller92EF3555: 'AWS::IAM::Role',
      PullerDefaultPolicy57772200: 'AWS::IAM::Policy',
    });
  });

  test('PER_UPSTREAM', () => {
    expect(ids(PER_UPSTREAM)).toEqual({
      DockerHubSecret9BE6658C: 'AWS::SecretsManager::Secret',
      GhcrSecretEA0AD9C8: 'AWS::SecretsManager::Secret',
      CachedockercacheTemplate89E4C089: 'AWS::ECR::RepositoryCreationTemplate',
      CachedockercacheRule0FEEC018: 'AWS::ECR::PullThroughCacheRule',
      CacheghcrcacheTemplate46097F04: 'AWS::ECR::RepositoryCreationTemplate',
      CacheghcrcacheRule01A7BC54: 'AWS::ECR::PullThroughCacheRule',
      Cachek8scacheTemplate37185E2C: 'AWS::ECR::RepositoryCreationTemplate',
      Cachek8scacheRule49DD3B5D: 'AWS::ECR::PullThroughCacheRule',
      CachequaycacheTemplateCF5FB436: 'AWS::ECR::RepositoryCreationTemplate',
      CachequaycacheRule7BBEBADC: 'AWS::ECR::PullThroughCacheRule',
      Puller92EF3555: 'AWS::IAM::Role',
      PullerDefaultPolicy57772200: 'AWS::IAM::Policy',
    });
  });

  test('the template role', () => {
    expect(ids(TAGGED_PER_UPSTREAM)).toEqual(expect.objectContaining({
      CacheTemplateRole9444FB38: 'AWS::IAM::Role',
      CacheTemplateRoleDefaultPolicyCD337ED9: 'AWS::IAM::Policy',
    }));
  });

  test('nested prefixes and a trailing slash (k8s/ is the same upstream as k8s)', () => {
    const { stack } = buildReference({
      grant: false,
      extraUpstreams: [
        { registry: UpstreamRegistry.ecrPublic(), prefix: 'team/ecr-public' },
        { registry: UpstreamRegistry.kubernetes(), prefix: 'k8s/' },
      ],
    });
    const found = Object.keys(Template.fromStack(stack).findResources('AWS::ECR::PullThroughCacheRule'));
    expect(found).toEqual(expect.arrayContaining(['CacheteamecrpublicRule5D798D68', 'Cachek8sRule8F151C4D']));
  });

  test('a role to grant to does not change the cache IDs', () => {
    const withGrant = Object.keys(Template.fromStack(buildReference().stack).toJSON().Resources);
    const withoutGrant = Object.keys(Template.fromStack(buildReference({ grant: false }).stack).toJSON().Resources);
    expect(withGrant.filter(id => !id.startsWith('Puller'))).toEqual(withoutGrant);
  });
});
