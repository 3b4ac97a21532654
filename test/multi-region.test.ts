import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ACCOUNT } from './support/cache-fixtures';
import { leastPrivilegeViolations } from './support/helpers';
import { RegionalCacheStage } from '../examples/multi-region-stage';

const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2'];
const PREFIXES = ['dockercache', 'ecrpubliccache', 'k8scache', 'quaycache'];

function stages(): RegionalCacheStage[] {
  const app = new App();
  return REGIONS.map(region => new RegionalCacheStage(app, region, {
    env: { account: ACCOUNT, region },
    crossAccountAccess: { organizationId: 'o-a1b2c3d4e5', accounts: ['444455556666'] },
  }));
}

function templates(): Map<string, any> {
  return new Map(stages().map(stage => [stage.stack.region, Template.fromStack(stage.stack).toJSON()]));
}

function resourcesOfType(template: any, type: string): any[] {
  return Object.values<any>(template.Resources).filter(r => r.Type === type);
}

describe('the multi-region example: one stage per region', () => {
  test('every region has the 4 rules, the registry policy and the scanning configuration of its own registry', () => {
    for (const [region, template] of templates()) {
      expect(resourcesOfType(template, 'AWS::ECR::PullThroughCacheRule').map(r => r.Properties.EcrRepositoryPrefix).sort()).toEqual(PREFIXES);
      expect(resourcesOfType(template, 'AWS::ECR::RepositoryCreationTemplate')).toHaveLength(4);

      const [policy] = resourcesOfType(template, 'AWS::ECR::RegistryPolicy');
      const statements = policy.Properties.PolicyText.Statement;
      expect(statements).toHaveLength(2);
      expect(statements[1].Condition).toEqual({ StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } });
      for (const statement of statements) {
        // The resources are this region's repositories, never another region's.
        expect(statement.Resource).toEqual(PREFIXES.map(prefix => ({
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:ecr:${region}:${ACCOUNT}:repository/${prefix}/*`]],
        })));
      }

      const [scanning] = resourcesOfType(template, 'AWS::ECR::RegistryScanningConfiguration');
      expect(scanning.Properties).toEqual({
        ScanType: 'BASIC',
        Rules: [{ ScanFrequency: 'SCAN_ON_PUSH', RepositoryFilters: PREFIXES.map(p => ({ Filter: `${p}/*`, FilterType: 'WILDCARD' })) }],
      });
    }
  });

  test('the logical IDs are the same in every region', () => {
    const ids = [...templates().values()].map(t => Object.keys(t.Resources).sort());
    expect(ids[0].length).toBeGreaterThan(0);
    for (const other of ids.slice(1)) {
      expect(other).toEqual(ids[0]);
    }
  });

  test('the templates differ only by the region', () => {
    const all = [...templates()].map(([region, t]) => JSON.stringify(t).split(region).join('<region>'));
    for (const other of all.slice(1)) {
      expect(other).toBe(all[0]);
    }
  });

  test('each region is least privilege and has no Lambda function or custom resource', () => {
    for (const stage of stages()) {
      const template = Template.fromStack(stage.stack);
      expect(leastPrivilegeViolations(template)).toEqual([]);
      expect(JSON.stringify(template.toJSON())).not.toMatch(/repository\/\*"|"ecr:\*"/);
      const types = Object.values<any>(template.toJSON().Resources).map(r => r.Type);
      expect(types.filter(t => t === 'AWS::Lambda::Function' || t.startsWith('Custom::') || t === 'AWS::CloudFormation::CustomResource')).toEqual([]);
    }
  });

  test('the example app synthesizes one stack per region from its context', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'multi-region-'));
    const saved = { outdir: process.env.CDK_OUTDIR, context: process.env.CDK_CONTEXT_JSON, account: process.env.CDK_DEFAULT_ACCOUNT };
    process.env.CDK_OUTDIR = outdir;
    process.env.CDK_CONTEXT_JSON = JSON.stringify({ regions: 'eu-west-1,eu-central-1', organizationId: 'o-a1b2c3d4e5' });
    process.env.CDK_DEFAULT_ACCOUNT = ACCOUNT;
    try {
      jest.isolateModules(() => {
        // The example is an app entry point: loading it synthesizes the app.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        require('../examples/multi-region');
      });
      const found = fs.readdirSync(outdir).filter(f => f.startsWith('assembly-')).sort();
      expect(found).toEqual(['assembly-eu-central-1', 'assembly-eu-west-1']);
      for (const stage of found) {
        const files = fs.readdirSync(path.join(outdir, stage)).filter(f => f.endsWith('.template.json'));
        expect(files).toHaveLength(1);
        const template = JSON.parse(fs.readFileSync(path.join(outdir, stage, files[0]), 'utf-8'));
        expect(resourcesOfType(template, 'AWS::ECR::PullThroughCacheRule')).toHaveLength(4);
        expect(resourcesOfType(template, 'AWS::ECR::RegistryPolicy')).toHaveLength(1);
      }
    } finally {
      for (const [key, value] of [['CDK_OUTDIR', saved.outdir], ['CDK_CONTEXT_JSON', saved.context], ['CDK_DEFAULT_ACCOUNT', saved.account]]) {
        if (value === undefined) {
          delete process.env[key!];
        } else {
          process.env[key!] = value;
        }
      }
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });
});
