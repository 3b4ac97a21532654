/**
 * How ECR scans the images of a private registry for vulnerabilities.
 *
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning.html
 */
export enum ScanType {
  /** Basic scanning by ECR, free of charge; only on push. */
  BASIC = 'BASIC',

  /**
   * Enhanced scanning by Amazon Inspector (billed by Inspector per image scanned), on push or
   * continuously; also scans operating system and programming language packages.
   */
  ENHANCED = 'ENHANCED',
}

/**
 * When ECR scans the images of the repositories a scanning rule selects.
 *
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-ecr-registryscanningconfiguration-scanningrule.html
 */
export enum ScanFrequency {
  /** Scan each image when it is pushed, or imported by the pull-through cache. */
  SCAN_ON_PUSH = 'SCAN_ON_PUSH',

  /** Scan on push, and again whenever Inspector learns of a new vulnerability; `ENHANCED` only. */
  CONTINUOUS_SCAN = 'CONTINUOUS_SCAN',
}

/**
 * Vulnerability scanning of repositories.
 *
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning.html
 */
export interface ScanningOptions {
  /**
   * The scan type. It applies to the whole registry, so every caller that adds filters in the
   * same stack must agree on it.
   *
   * @default ScanType.BASIC
   */
  readonly scanType?: ScanType;

  /**
   * When to scan: `BASIC` supports only `SCAN_ON_PUSH`; `ENHANCED` supports both.
   *
   * @default ScanFrequency.SCAN_ON_PUSH
   */
  readonly frequency?: ScanFrequency;
}
