import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { analyzeUpdate, CfnTemplate, formatReport, main, UpdateSafetyReport } from '../scripts/update-safety';
import {
  PullThroughCache,
  PullThroughCacheSecret,
  RepositoryTemplateOptions,
  TemplateScope,
  UpstreamDefinition,
  UpstreamRegistry,
} from '../src';

/** What a version of the reference use case can vary. */
interface Version {
  readonly order?: number[];
  readonly k8sPrefix?: string;
  readonly dockerRegistryName?: string;
  readonly dockerSecretArn?: string;
  readonly extra?: (stack: Stack) => UpstreamDefinition[];
  readonly repositoryTemplate?: RepositoryTemplateOptions;
}

/** The reference use case (README), as one version of a deployed stack. */
function synth(version: Version = {}): CfnTemplate {
  const stack = new Stack(new App(), 'Stack');
  const docker = version.dockerSecretArn
    ? secretsmanager.Secret.fromSecretCompleteArn(stack, 'ImportedDockerSecret', version.dockerSecretArn)
    : PullThroughCacheSecret.create(stack, 'DockerHubSecret', { registryName: version.dockerRegistryName ?? 'dockerio', username: 'me' });
  const ghcr = PullThroughCacheSecret.create(stack, 'GhcrSecret', { registryName: 'ghcr', username: 'me' });
  const all: UpstreamDefinition[] = [
    { registry: UpstreamRegistry.dockerHub(), prefix: 'dockercache', credentials: docker },
    { registry: UpstreamRegistry.githubContainerRegistry(), prefix: 'ghcrcache', credentials: ghcr },
    { registry: UpstreamRegistry.kubernetes(), prefix: version.k8sPrefix ?? 'k8scache' },
    { registry: UpstreamRegistry.quay(), prefix: 'quaycache' },
  ];
  const cache = new PullThroughCache(stack, 'Cache', {
    upstreams: [...(version.order ?? [0, 1, 2, 3]).map(i => all[i]), ...(version.extra?.(stack) ?? [])],
    repositoryTemplate: version.repositoryTemplate ?? { scope: TemplateScope.ANY_PREFIX },
  });
  cache.grantPull(new iam.Role(stack, 'Puller', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') }));
  return Template.fromStack(stack).toJSON() as CfnTemplate;
}

function typesOf(changes: UpdateSafetyReport['replaced']): string[] {
  return [...new Set(changes.map(c => c.type))].sort();
}

function ruleIdOf(template: CfnTemplate, prefix: string): string {
  const [id] = Object.entries(template.Resources ?? {})
    .filter(([, r]) => r.Type === 'AWS::ECR::PullThroughCacheRule' && r.Properties?.EcrRepositoryPrefix === prefix)
    .map(([logicalId]) => logicalId);
  expect(id).toBeDefined();
  return id;
}

const before = synth();

describe('update-safety report on real before/after pairs', () => {
  test('the same template: nothing changes', () => {
    const report = analyzeUpdate(before, synth());
    expect(report).toEqual({ replaced: [], added: [], updated: [], unchanged: Object.keys(before.Resources!).length, notes: [] });
  });

  test('reordering the upstreams replaces nothing (and changes nothing)', () => {
    const report = analyzeUpdate(before, synth({ order: [3, 1, 0, 2] }));
    expect(report.replaced).toEqual([]);
    expect(report.added).toEqual([]);
    expect(report.updated).toEqual([]);
  });

  test('adding an upstream only adds resources (and widens the IAM policy in place)', () => {
    const after = synth({ extra: () => [{ registry: UpstreamRegistry.ecrPublic() }] });
    const report = analyzeUpdate(before, after);
    expect(report.replaced).toEqual([]);
    expect(report.added.map(c => c.logicalId)).toEqual([ruleIdOf(after, 'ecrpubliccache')]);
    expect(typesOf(report.updated)).toEqual(['AWS::IAM::Policy']);
  });

  test('changing a prefix replaces that rule, and only that one', () => {
    const after = synth({ k8sPrefix: 'k8s' });
    const report = analyzeUpdate(before, after);
    expect(report.replaced).toEqual([{
      logicalId: ruleIdOf(before, 'k8scache'),
      type: 'AWS::ECR::PullThroughCacheRule',
      reasons: ['logical ID removed: the resource is deleted'],
    }]);
    expect(report.added.map(c => c.logicalId)).toEqual([ruleIdOf(after, 'k8s')]);
    expect(formatReport(report)).toContain('UNSAFE: 1 resource(s) would be replaced or deleted');
  });

  test('changing credentials to another secret replaces the rule (CredentialArn is create-only)', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:ecr-pullthroughcache/dockerio-AbCdEf';
    const after = synth({ dockerSecretArn: arn });
    const report = analyzeUpdate(before, after);
    const rule = ruleIdOf(before, 'dockercache');
    expect(report.replaced).toContainEqual({
      logicalId: rule,
      type: 'AWS::ECR::PullThroughCacheRule',
      reasons: ['create-only property CredentialArn changed'],
    });
    // The secret the rule used leaves the stack (it is retained in the account, but CloudFormation
    // no longer manages it).
    expect(typesOf(report.replaced)).toEqual(['AWS::ECR::PullThroughCacheRule', 'AWS::SecretsManager::Secret']);
  });

  test('renaming the secret replaces it, and so the rule that refers to it', () => {
    const report = analyzeUpdate(before, synth({ dockerRegistryName: 'docker-hub' }));
    const rule = ruleIdOf(before, 'dockercache');
    const secret = Object.keys(before.Resources!).find(id => id.startsWith('DockerHubSecret'))!;
    expect(report.replaced).toEqual([
      { logicalId: rule, type: 'AWS::ECR::PullThroughCacheRule', reasons: [`create-only property CredentialArn refers to ${secret}, which is replaced`] },
      { logicalId: secret, type: 'AWS::SecretsManager::Secret', reasons: ['create-only property Name changed'] },
    ].sort((a, b) => (a.logicalId < b.logicalId ? -1 : 1)));
  });

  test('changing template options updates the template in place', () => {
    const report = analyzeUpdate(before, synth({
      repositoryTemplate: {
        scope: TemplateScope.ANY_PREFIX,
        imageTagMutability: ecr.TagMutability.IMMUTABLE,
        encryption: ecr.RepositoryEncryption.KMS,
        lifecycleRules: [{ description: 'drop anything older than 90 days', maxImageAge: Duration.days(90) }],
        description: 'Cached upstream images',
      },
    }));
    expect(report.replaced).toEqual([]);
    expect(report.added).toEqual([]);
    expect(report.updated).toHaveLength(1);
    expect(report.updated[0].type).toBe('AWS::ECR::RepositoryCreationTemplate');
    expect(report.updated[0].reasons).toEqual([
      'Description changed', 'EncryptionConfiguration changed', 'ImageTagMutability changed', 'LifecyclePolicy changed',
    ]);
    // The change reaches only repositories ECR creates from now on: the report says so.
    expect(report.notes).toEqual([
      `${report.updated[0].logicalId} (AWS::ECR::RepositoryCreationTemplate): Description, EncryptionConfiguration, ImageTagMutability, `
      + 'LifecyclePolicy changed: applies only to repositories created after the change; delete the cached repositories of '
      + 'every prefix (a ROOT template) to re-apply (https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-creation-templates.html)',
    ]);
    expect(formatReport(report)).toMatch(/\nNOTES \(1\)\n {2}\S+ \(AWS::ECR::RepositoryCreationTemplate\): Description, /);
  });

  test('a per-upstream template change names its prefix', () => {
    const perUpstream = synth({ repositoryTemplate: { scope: TemplateScope.PER_UPSTREAM } });
    const report = analyzeUpdate(perUpstream, synth({
      repositoryTemplate: { scope: TemplateScope.PER_UPSTREAM, imageTagMutability: ecr.TagMutability.IMMUTABLE },
    }));
    expect(report.replaced).toEqual([]);
    expect(report.notes).toHaveLength(4);
    expect(report.notes.map(n => /delete the cached repositories of prefix (\S+) to re-apply/.exec(n)?.[1]).sort())
      .toEqual(['dockercache', 'ghcrcache', 'k8scache', 'quaycache']);
    expect(report.notes.every(n => n.includes('ImageTagMutability changed: applies only to repositories created after the change'))).toBe(true);
  });

  test('changes that do not touch a template add no note', () => {
    expect(analyzeUpdate(before, synth({ order: [3, 1, 0, 2] })).notes).toEqual([]);
    expect(analyzeUpdate(before, synth({ extra: () => [{ registry: UpstreamRegistry.ecrPublic() }] })).notes).toEqual([]);
    expect(formatReport(analyzeUpdate(before, synth()))).not.toContain('NOTES');
  });

  test('adding resource tags adds the template role and updates the template (and grants) in place', () => {
    const report = analyzeUpdate(before, synth({ repositoryTemplate: { scope: TemplateScope.ANY_PREFIX, resourceTags: { team: 'platform' } } }));
    expect(report.replaced).toEqual([]);
    expect(typesOf(report.added)).toEqual(['AWS::IAM::Policy', 'AWS::IAM::Role']);
    expect(report.updated.find(c => c.type === 'AWS::ECR::RepositoryCreationTemplate')?.reasons)
      .toEqual(['CustomRoleArn changed', 'ResourceTags changed', 'DependsOn changed']);
    // Whatever else changes is an IAM policy (the pullers may need ecr:TagResource), in place.
    expect(report.updated.filter(c => c.type !== 'AWS::ECR::RepositoryCreationTemplate').every(c => c.type === 'AWS::IAM::Policy')).toBe(true);
  });

  test('switching the template scope to PER_UPSTREAM deletes the ROOT template', () => {
    const report = analyzeUpdate(before, synth({ repositoryTemplate: { scope: TemplateScope.PER_UPSTREAM } }));
    expect(report.replaced.map(c => [c.type, c.reasons])).toEqual([
      ['AWS::ECR::RepositoryCreationTemplate', ['logical ID removed: the resource is deleted']],
    ]);
    expect(report.added.map(c => c.type)).toEqual(Array(4).fill('AWS::ECR::RepositoryCreationTemplate'));
    // The rules now depend on their own template: an attribute change, in place.
    expect(typesOf(report.updated)).toEqual(['AWS::ECR::PullThroughCacheRule']);
    // The new templates cover prefixes whose repositories the ROOT template already created.
    expect(report.notes).toHaveLength(4);
    expect(report.notes.every(n => /new template over an existing rule: applies only to repositories created after the change; delete the cached repositories of prefix \w+ to re-apply/.test(n))).toBe(true);
  });
});

describe('update-safety command line', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'update-safety-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, template: CfnTemplate) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, JSON.stringify(template));
    return file;
  };

  test('exit code 0 when nothing is replaced, 2 when something is, 1 on a usage error', () => {
    const out: string[] = [];
    const print = (text: string) => out.push(text);
    const beforeFile = write('before.json', before);
    expect(main([beforeFile, write('reordered.json', synth({ order: [2, 3, 0, 1] }))], print)).toBe(0);
    expect(out.pop()).toContain('SAFE: no resource would be replaced or deleted');
    expect(main([beforeFile, write('renamed.json', synth({ k8sPrefix: 'k8s' }))], print)).toBe(2);
    expect(out.pop()).toMatch(/REPLACED or DELETED \(1\)\n {2}Cachek8scacheRule\w+ \(AWS::ECR::PullThroughCacheRule\)/);
    expect(main([beforeFile], print)).toBe(1);
  });

  test('a type missing from the create-only table is assumed to be replaced', () => {
    const a: CfnTemplate = { Resources: { Thing: { Type: 'AWS::Some::Thing', Properties: { Size: 1 } } } };
    const b: CfnTemplate = { Resources: { Thing: { Type: 'AWS::Some::Thing', Properties: { Size: 2 } } } };
    expect(analyzeUpdate(a, b).replaced).toEqual([{ logicalId: 'Thing', type: 'AWS::Some::Thing', reasons: [expect.stringContaining('assumed to replace')] }]);
  });
});
