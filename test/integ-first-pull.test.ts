import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { PullThroughCache, UpstreamRegistry } from '../src';

// The integ test kms-tags-lifecycle is what will show, once deployed, that ECR's first pull works
// with what grantPull gives (ecr:TagResource only with the template's tags included). That holds
// only if the function making the first pull gets exactly grantPull's statements: this synthesizes
// the integ app and compares. (`integ-runner` does not diff the assertion stack of a snapshot, so
// the committed snapshot alone would not notice the waiter's policy drifting.)

const ROOT = path.join(__dirname, '..');

/** The statements of the waiter role's inline policy that make the first pull (BatchGetImage). */
function firstPullStatements(outdir: string): any[] {
  const file = fs.readdirSync(outdir).find(f => f.includes('DeployAssert') && f.endsWith('.template.json'))!;
  const template = JSON.parse(fs.readFileSync(path.join(outdir, file), 'utf8'));
  const roles = Object.values<any>(template.Resources).filter(r => r.Type === 'AWS::IAM::Role');
  const statements = roles.flatMap(r => (r.Properties.Policies ?? []).flatMap((p: any) => p.PolicyDocument.Statement as any[]));
  // Those on the cache's repositories, and the token (the framework's own statements for each
  // API call are on `*` and name no repository).
  return statements.filter(s => JSON.stringify(s.Resource).includes(':repository/') || [s.Action].flat().includes('ecr:GetAuthorizationToken'));
}

/** What grantPull gives a role, for a cache with the integ test's prefixes and tags. */
function grantPullStatements(): any[] {
  const stack = new Stack();
  const secret = secretsmanager.Secret.fromSecretCompleteArn(stack, 'Secret',
    'arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/integ-dockerhub-AbCdEf');
  const cache = new PullThroughCache(stack, 'Cache', {
    upstreams: [
      { registry: UpstreamRegistry.dockerHub(), prefix: 'integdocker', credentials: secret },
      { registry: UpstreamRegistry.ecrPublic(), prefix: 'integecrpublic' },
    ],
    repositoryTemplate: { encryptionKey: new kms.Key(stack, 'Key'), resourceTags: { team: 'platform' } },
  });
  const role = new iam.Role(stack, 'Puller', { assumedBy: new iam.AccountRootPrincipal() });
  cache.grantPull(role);
  const policy = Object.values<any>(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
    .find(p => p.Properties.Roles.some((r: any) => r.Ref === stack.getLogicalId(role.node.defaultChild as iam.CfnRole)));
  return policy.Properties.PolicyDocument.Statement;
}

/** A statement with its lists as lists, so a one-element list and a string compare equal. */
function normalized(statement: any): any {
  return { ...statement, Action: [statement.Action].flat(), Resource: [statement.Resource].flat() };
}

test('kms-tags-lifecycle: the first pull runs with exactly what grantPull gives', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptc-integ-'));
  try {
    const result = spawnSync(process.execPath, ['-r', 'ts-node/register', 'test/integ.kms-tags-lifecycle.ts'], {
      cwd: ROOT,
      env: { ...process.env, CDK_OUTDIR: outdir, TS_NODE_PROJECT: 'tsconfig.dev.json', TS_NODE_TRANSPILE_ONLY: '1' },
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const actual = firstPullStatements(outdir).map(normalized);
    const expected = grantPullStatements().map(normalized);
    // The pull actions on both prefixes, TagResource with the template's tag only, the token.
    expect(expected.map(s => s.Action)).toEqual([
      ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability', 'ecr:BatchImportUpstreamImage', 'ecr:CreateRepository'],
      ['ecr:TagResource'],
      ['ecr:GetAuthorizationToken'],
    ]);
    expect(actual).toEqual(expected);
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}, 120_000);
