import { App } from 'aws-cdk-lib';
import { CentralCacheStack, ConsumerStack } from './consumer-account-stacks';

// One app, two accounts: the cache in the central account, a workload in another account and region.
const app = new App();
new CentralCacheStack(app, 'PullThroughCacheCentral');
new ConsumerStack(app, 'PullThroughCacheConsumer');
app.synth();
