import { StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatch_actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events_targets from 'aws-cdk-lib/aws-events-targets';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ReferenceStack } from './reference-stack';
import { PullThroughCacheDashboard } from '../src';

/**
 * The reference use case (four upstreams) operated: failed syncs go to an SNS topic and page
 * through an alarm, and a dashboard shows pulls and syncs per upstream with the alarm's state.
 * docs/dashboard.svg is drawn from this stack's dashboard (scripts/dashboard-svg.ts).
 */
export class OperationsStack extends ReferenceStack {
  public readonly dashboard: PullThroughCacheDashboard;
  public readonly alarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    const key = new kms.Key(this, 'AlertsKey', { enableKeyRotation: true, description: 'Encrypts the cache alerts topic' });
    const alerts = new sns.Topic(this, 'CacheAlerts', { masterKey: key, enforceSSL: true });

    // The caller's rule: every failed sync as an SNS message, and an alarm on its matches.
    const failures = this.cache.onPullFailure('PullFailures', { target: new events_targets.SnsTopic(alerts) });
    this.alarm = new cloudwatch.Alarm(this, 'SyncFailuresAlarm', {
      metric: this.cache.metricSyncFailures(failures),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.alarm.addAlarmAction(new cloudwatch_actions.SnsAction(alerts));

    this.dashboard = new PullThroughCacheDashboard(this, 'Dashboard', { cache: this.cache, alarms: [this.alarm] });
  }
}
