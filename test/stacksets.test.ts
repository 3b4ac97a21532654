import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { expectLeastPrivilege } from './support/helpers';
import { OrganizationCacheStack } from '../examples/stacksets-stack';

const BUS = 'arn:aws:events:us-east-1:999999999999:event-bus/operations';
const PREFIXES = ['dockercache', 'ecrpubliccache', 'k8scache', 'quaycache'];

function build(outdir?: string) {
  const app = new App({ outdir });
  const stack = new OrganizationCacheStack(app, 'Organization', {
    env: { account: '111122223333', region: 'us-east-1' },
    organizationalUnits: ['ou-abcd-11111111', 'ou-abcd-22222222'],
    regions: ['us-east-1', 'eu-west-1'],
    operationsEventBusArn: BUS,
  });
  return { app, stack };
}

/** The account stack's template, as synthesized next to the administrator stack (it is no artifact of its own). */
function accountTemplate(outdir: string, stack: OrganizationCacheStack): Template {
  return Template.fromJSON(JSON.parse(fs.readFileSync(path.join(outdir, stack.accountStack.templateFile), 'utf8')));
}

describe('the StackSets example: a cache in every account of some OUs', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'stacksets-'));
  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));
  const { app, stack } = build(outdir);
  app.synth();
  const template = Template.fromStack(stack);
  const account = accountTemplate(outdir, stack);

  test('one service-managed stack set, auto-deployed to new accounts of the OUs, in every region', () => {
    template.resourceCountIs('AWS::CloudFormation::StackSet', 1);
    template.hasResourceProperties('AWS::CloudFormation::StackSet', {
      PermissionModel: 'SERVICE_MANAGED',
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: true },
      CallAs: 'DELEGATED_ADMIN',
      Capabilities: ['CAPABILITY_IAM'],
      StackInstancesGroup: [{
        DeploymentTargets: { OrganizationalUnitIds: ['ou-abcd-11111111', 'ou-abcd-22222222'] },
        Regions: ['us-east-1', 'eu-west-1'],
      }],
      // The per-account template is an asset (TemplateURL), not TemplateBody: no 51,200-byte limit.
      TemplateURL: Match.anyValue(),
    });
    // Nothing else runs in the administrator account.
    expect(Object.keys(template.toJSON().Resources)).toHaveLength(1);
  });

  test('every account gets the 4 rules, their templates and the Docker Hub secret, environment-agnostic', () => {
    const rules = Object.values<any>(account.findResources('AWS::ECR::PullThroughCacheRule'));
    expect(rules.map(r => r.Properties.EcrRepositoryPrefix).sort()).toEqual(PREFIXES);
    account.resourceCountIs('AWS::ECR::RepositoryCreationTemplate', 4);
    expect(stack.accountStack.cache.registryDomain).toMatch(/^\$\{Token\[AWS\.AccountId/);
  });

  test('the Docker Hub token never enters the template: a generated placeholder, put per account', () => {
    account.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'ecr-pullthroughcache/dockerio',
      GenerateSecretString: Match.objectLike({ GenerateStringKey: 'accessToken', SecretStringTemplate: '{"username":"platform-docker-user"}' }),
    });
    const secret = Object.values<any>(account.findResources('AWS::SecretsManager::Secret'))[0];
    expect(secret.Properties.SecretString).toBeUndefined();
  });

  test('failed pulls of each account go to the central operations bus, from a rule in that account', () => {
    account.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.ecr'],
        'detail-type': ['ECR Pull Through Cache Action'],
        'detail': { 'ecr-repository-prefix': ['dockercache', 'k8scache', 'quaycache', 'ecrpubliccache'], 'sync-status': [{ 'anything-but': ['SUCCESS'] }] },
      },
      Targets: [Match.objectLike({ Arn: BUS, RoleArn: Match.anyValue() })],
    });
    expectLeastPrivilege(account);
  });

  test('no warning in either stack', () => {
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
    // The account stack is no cloud assembly artifact: read its constructs' metadata.
    const warnings = stack.accountStack.node.findAll().flatMap(c => c.node.metadata.filter(m => m.type === 'aws:cdk:warning'));
    expect(warnings).toEqual([]);
  });
});

describe('what the stack set deploys is the account stack\'s template', () => {
  test('the TemplateURL asset is the synthesized account template', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'stacksets-'));
    try {
      const { app, stack } = build(outdir);
      const assembly = app.synth();
      const accountFile = path.join(outdir, stack.accountStack.templateFile);
      expect(fs.existsSync(accountFile)).toBe(true);
      const accountJson = JSON.parse(fs.readFileSync(accountFile, 'utf8'));
      expect(Object.values<any>(accountJson.Resources).filter(r => r.Type === 'AWS::ECR::PullThroughCacheRule')).toHaveLength(4);
      const assets = JSON.parse(fs.readFileSync(path.join(outdir, `${stack.artifactId}.assets.json`), 'utf8'));
      const sources = Object.values<any>(assets.files).map(f => f.source.path);
      expect(sources).toContain(stack.accountStack.templateFile);
      const url = JSON.stringify(assembly.getStackByName(stack.stackName).template.Resources);
      const [hash] = Object.entries<any>(assets.files).find(([, f]) => f.source.path === stack.accountStack.templateFile)!;
      expect(url).toContain(`${hash}.json`);
      // Small enough for TemplateBody too (51,200 bytes), far below TemplateURL's 1 MB.
      expect(fs.statSync(accountFile).size).toBeLessThan(51200);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });
});
