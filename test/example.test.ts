import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { expectLeastPrivilege } from './support/helpers';
import { buildMatrix } from './support/matrix';
import { FargateStack } from '../examples/fargate-stack';
import { ReferenceStack } from '../examples/reference-stack';

describe('the example app', () => {
  test('ReferenceStack synthesizes 4 rules, 1 ROOT template and 2 secrets', () => {
    const stack = new ReferenceStack(new App(), 'Example');
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::ECR::PullThroughCacheRule', 4);
    template.resourceCountIs('AWS::ECR::RepositoryCreationTemplate', 1);
    template.resourceCountIs('AWS::SecretsManager::Secret', 2);
    template.hasResourceProperties('AWS::ECR::RepositoryCreationTemplate', {
      Prefix: 'ROOT',
      AppliedFor: ['PULL_THROUGH_CACHE'],
      ImageTagMutability: 'MUTABLE',
      EncryptionConfiguration: { EncryptionType: 'AES256' },
    });
    const prefixes = Object.values<any>(template.findResources('AWS::ECR::PullThroughCacheRule'))
      .map(r => r.Properties.EcrRepositoryPrefix).sort();
    expect(prefixes).toEqual(['dockercache', 'ghcrcache', 'k8scache', 'quaycache']);
    expect(Object.values<any>(template.findResources('AWS::SecretsManager::Secret')).map(s => s.Properties.Name).sort())
      .toEqual(['ecr-pullthroughcache/dockerio', 'ecr-pullthroughcache/ghcr']);
    expect(stack.cache.prefixes).toEqual(['dockercache', 'ghcrcache', 'k8scache', 'quaycache']);
    expectLeastPrivilege(template);
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  test('its output shows the docker pull command', () => {
    const stack = new ReferenceStack(new App(), 'Example');
    Template.fromStack(stack).hasOutput('PullExample', {
      Value: {
        'Fn::Join': ['', [
          'docker pull ', { Ref: 'AWS::AccountId' }, '.dkr.ecr.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' },
          '/dockercache/library/alpine:3',
        ]],
      },
    });
  });

  test('in an environment, the command has the account and region', () => {
    const stack = new ReferenceStack(new App(), 'Example', { env: { account: '123456789012', region: 'us-east-2' } });
    const output = Template.fromStack(stack).findOutputs('PullExample').PullExample;
    expect(JSON.stringify(output.Value)).toContain('docker pull 123456789012.dkr.ecr.us-east-2.');
    expect(JSON.stringify(output.Value)).toContain('/dockercache/library/alpine:3');
  });
});

describe('the Fargate example app', () => {
  const stack = new FargateStack(new App(), 'Fargate', { env: { account: '123456789012', region: 'eu-west-1' } });
  const template = Template.fromStack(stack);
  const repository = (prefix: string) => ({
    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:ecr:eu-west-1:123456789012:repository/${prefix}/*`]],
  });

  test('both containers pull through the cache', () => {
    const task = Object.values<any>(template.findResources('AWS::ECS::TaskDefinition'))[0];
    const images = Object.fromEntries(task.Properties.ContainerDefinitions.map((c: any) => [c.Name, c.Image]));
    expect(images).toEqual({
      web: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/dockercache/library/nginx:1.27',
      exporter: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/quaycache/prometheus/node-exporter:v1.8.1',
    });
  });

  test('the execution role may import and create repositories on the cached prefixes only', () => {
    const task = Object.values<any>(template.findResources('AWS::ECS::TaskDefinition'))[0];
    const executionRole = task.Properties.ExecutionRoleArn['Fn::GetAtt'][0];
    const policies = Object.values<any>(template.findResources('AWS::IAM::Policy'))
      .filter(p => p.Properties.Roles.some((r: any) => r.Ref === executionRole));
    const statements = policies.flatMap(p => p.Properties.PolicyDocument.Statement);
    const pull = statements.filter(s => Array.isArray(s.Action) && s.Action.includes('ecr:BatchImportUpstreamImage'));
    expect(pull).toHaveLength(2);
    for (const statement of pull) {
      expect(statement.Action).toEqual(expect.arrayContaining(['ecr:BatchImportUpstreamImage', 'ecr:CreateRepository', 'ecr:BatchGetImage']));
    }
    expect(pull.map(s => s.Resource)).toEqual(expect.arrayContaining([repository('dockercache'), repository('quaycache')]));
    expect(statements.filter(s => s.Resource === '*').map(s => s.Action)).toEqual(
      expect.arrayContaining(['ecr:GetAuthorizationToken']),
    );
    expectLeastPrivilege(template);
  });
});

describe('the configuration matrix (cfn-lint and cdk-nag read it)', () => {
  test('synthesizes as one app: its validations pass (one registry policy owner per account and region)', () => {
    const app = buildMatrix({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'matrix-')) });
    expect(() => app.synth()).not.toThrow();
  });
});
