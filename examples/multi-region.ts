import { App } from 'aws-cdk-lib';
import { RegionalCacheStage } from './multi-region-stage';

/*
 * One pull-through cache per region, in the platform account, open to every account of the
 * organization. Each region is a Stage with one stack; deploy them all with
 *
 *   npx cdk deploy --app "npx ts-node --prefer-ts-exts examples/multi-region.ts" '**' \
 *     -c organizationId=o-xxxxxxxxxx -c regions=us-east-1,eu-west-1
 *
 * or add the stages to a CDK Pipeline (`pipeline.addStage(stage)`, one wave for all regions).
 */
const app = new App();
const account = process.env.CDK_DEFAULT_ACCOUNT;
const regions = String(app.node.tryGetContext('regions') ?? 'us-east-1,eu-west-1,ap-southeast-2').split(',');
const organizationId: string = app.node.tryGetContext('organizationId') ?? 'o-exampleorgid';
// Accounts outside the organization (a partner, a sandbox organization) can be listed as well.
const accounts = String(app.node.tryGetContext('accounts') ?? '').split(',').filter(a => a !== '');

for (const region of regions) {
  new RegionalCacheStage(app, region, {
    env: { account, region },
    crossAccountAccess: { organizationId, accounts },
  });
}
app.synth();
