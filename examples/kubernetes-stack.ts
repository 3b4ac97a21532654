import { Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { KubernetesPolicyEngine, PullThroughCache, PullThroughCacheSecret, UpstreamRegistry } from '../src';

/** Where the example's kubectl layer comes from: any layer with kubectl, e.g. `@aws-cdk/lambda-layer-kubectl-v36`. */
export interface KubernetesStackProps extends StackProps {
  /** The ARN of a Lambda layer holding kubectl and helm, for `addManifest`. */
  readonly kubectlLayerArn: string;
}

/**
 * Every pod of an EKS cluster pulls through the cache without touching a node: Auto Mode nodes and
 * Fargate pods, whose nodes take no user data. A `MutatingAdmissionPolicy` (Kubernetes 1.36 or
 * later) rewrites the images at admission; the Auto Mode node role and the Fargate pod execution
 * role may pull through the cache, first pulls included.
 */
export class KubernetesStack extends Stack {
  public readonly cache: PullThroughCache;
  public readonly cluster: eks.Cluster;
  public readonly nodeRole: iam.Role;
  public readonly fargateProfile: eks.FargateProfile;

  constructor(scope: Construct, id: string, props: KubernetesStackProps) {
    super(scope, id, props);

    const dockerSecret = PullThroughCacheSecret.create(this, 'DockerHubSecret', { registryName: 'dockerio', username: 'my-docker-user' });
    this.cache = new PullThroughCache(this, 'Cache', {
      upstreams: [
        { registry: UpstreamRegistry.dockerHub(), credentials: dockerSecret },
        { registry: UpstreamRegistry.kubernetes() },
        { registry: UpstreamRegistry.quay() },
        { registry: UpstreamRegistry.ecrPublic() },
      ],
    });

    // Auto Mode: EKS manages the nodes; they pull with this role.
    this.nodeRole = new iam.Role(this, 'AutoModeNodeRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonEKSWorkerNodeMinimalPolicy'),
        iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonEC2ContainerRegistryPullOnly'),
      ],
    });
    // Nodes and pods in private subnets; the public subnets hold only the NAT gateway (no public
    // IP on launch). Flow logs record the traffic.
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 1,
      subnetConfiguration: [
        { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, mapPublicIpOnLaunch: false },
        { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      ],
    });
    const flowLogKey = new kms.Key(this, 'FlowLogKey', { enableKeyRotation: true, description: 'Encrypts the VPC flow logs' });
    vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(
        new logs.LogGroup(this, 'FlowLogs', { retention: logs.RetentionDays.ONE_YEAR, encryptionKey: flowLogKey })),
    });
    this.cluster = new eks.Cluster(this, 'Cluster', {
      vpc,
      // MutatingAdmissionPolicy is admissionregistration.k8s.io/v1 from Kubernetes 1.36.
      version: eks.KubernetesVersion.of('1.36'),
      compute: { nodeRole: this.nodeRole },
      // The API server is reachable from the VPC only (kubectl runs there); every control-plane log is kept.
      endpointAccess: eks.EndpointAccess.PRIVATE,
      clusterLogging: [
        eks.ClusterLoggingTypes.API,
        eks.ClusterLoggingTypes.AUDIT,
        eks.ClusterLoggingTypes.AUTHENTICATOR,
        eks.ClusterLoggingTypes.CONTROLLER_MANAGER,
        eks.ClusterLoggingTypes.SCHEDULER,
      ],
      kubectlProviderOptions: {
        kubectlLayer: lambda.LayerVersion.fromLayerVersionArn(this, 'KubectlLayer', props.kubectlLayerArn),
      },
    });
    // Fargate: pods of the `apps` namespace run on Fargate, pulling with the pod execution role.
    this.fargateProfile = this.cluster.addFargateProfile('Apps', { selectors: [{ namespace: 'apps' }] });

    const manifests = this.cache.kubernetesImageRewrite({ engine: KubernetesPolicyEngine.MUTATING_ADMISSION_POLICY });
    this.cluster.addManifest('ImageRewrite', ...manifests);
    this.cache.grantPull(this.nodeRole);
    this.cache.grantPull(this.fargateProfile.podExecutionRole);
  }
}
