// Container image reference parsing, following the grammar of
// github.com/distribution/reference (reference.go, regexp.go, normalize.go).
//
//   reference        := name [ ":" tag ] [ "@" digest ]
//   name             := [domain '/'] remote-name
//   domain           := host [':' port-number]
//   host             := domain-name | IPv4address | \[ IPv6address \]
//   domain-name      := domain-component ['.' domain-component]*
//   domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
//   port-number      := /[0-9]+/
//   remote-name      := path-component ['/' path-component]*
//   path-component   := alpha-numeric [separator alpha-numeric]*
//   alpha-numeric    := /[a-z0-9]+/
//   separator        := /[_.]|__|[-]+/
//   tag              := /[\w][\w.-]{0,127}/
//   digest           := algorithm ":" hex

/** Docker Hub's canonical domain. */
const DOCKER_HUB_DOMAIN = 'docker.io';

/** Domains that all mean Docker Hub. */
const DOCKER_HUB_ALIASES: ReadonlySet<string> = new Set([
  DOCKER_HUB_DOMAIN,
  'index.docker.io',
  'registry-1.docker.io',
]);

/** Prefix of official (single-component) Docker Hub repositories. */
const OFFICIAL_REPOSITORY_PREFIX = 'library/';

/** Tag used when neither a tag nor a digest is given. */
const DEFAULT_TAG = 'latest';

/** Maximum length of a name (domain + '/' + path). */
const NAME_MAX_LENGTH = 255;

/** Hex length of each supported digest algorithm (as in go-digest). */
const DIGEST_HEX_LENGTHS: ReadonlyMap<string, number> = new Map([
  ['sha256', 64],
  ['sha384', 96],
  ['sha512', 128],
]);

function anchored(pattern: string): RegExp {
  return new RegExp(`^${pattern}$`);
}

const ALPHA_NUMERIC = '[a-z0-9]+';
const SEPARATOR = '(?:[_.]|__|[-]+)';
const PATH_COMPONENT = `${ALPHA_NUMERIC}(?:${SEPARATOR}${ALPHA_NUMERIC})*`;

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`;
const IPV6_ADDRESS = '\\[[a-fA-F0-9:]+\\]';
const HOST = `(?:${DOMAIN_NAME}|${IPV6_ADDRESS})`;
const DOMAIN = `${HOST}(?::[0-9]+)?`;

const TAG = '[\\w][\\w.-]{0,127}';

const DIGEST_ALGORITHM_COMPONENT = '[A-Za-z][A-Za-z0-9]*';
const DIGEST_ALGORITHM = `${DIGEST_ALGORITHM_COMPONENT}(?:[+._-]${DIGEST_ALGORITHM_COMPONENT})*`;
const DIGEST = `${DIGEST_ALGORITHM}:[0-9a-fA-F]{32,}`;

const PATH_COMPONENT_REGEXP = anchored(PATH_COMPONENT);
const DOMAIN_REGEXP = anchored(DOMAIN);
const TAG_REGEXP = anchored(TAG);
const DIGEST_REGEXP = anchored(DIGEST);
/** A bare 64-character hex string is an image ID, which Docker refuses as a name. */
const IMAGE_ID_REGEXP = anchored('[a-f0-9]{64}');
const LOWERCASE_HEX_REGEXP = /^[a-f0-9]+$/;
const WHITESPACE_REGEXP = /\s/;

/**
 * A parsed and normalized container image reference, `[domain/]path[:tag][@digest]` as the
 * `distribution` project parses it, normalized like Docker: no domain is `docker.io`, a
 * one-component Docker Hub path gets `library/`, no tag nor digest gets `latest`.
 *
 * @example
 * import * as ptc from 'cdk-pull-through-cache';
 *
 * const ref = ptc.ImageReference.parse('alpine:3');
 * // ref.domain === 'docker.io', ref.repository === 'library/alpine', ref.tag === '3'
 */
export class ImageReference {
  /**
   * Parse and normalize an image reference.
   *
   * @param reference the image reference, e.g. `alpine:3`, `ghcr.io/org/app@sha256:...`
   * @returns the normalized reference
   * @throws a plain `Error` naming the reference and the rule it breaks
   */
  public static parse(reference: string): ImageReference {
    const fail = (rule: string): never => {
      throw new Error(`Invalid image reference '${reference}': ${rule}`);
    };

    if (reference.length === 0) {
      fail('reference is empty');
    }
    if (WHITESPACE_REGEXP.test(reference)) {
      fail('reference must not contain whitespace');
    }
    if (IMAGE_ID_REGEXP.test(reference)) {
      fail('a 64-character hexadecimal string is an image ID, not a repository name');
    }

    const { rest: withoutDigest, digest } = splitDigest(reference);
    const { name, tag } = splitTag(withoutDigest);
    const { domain: rawDomain, path } = splitDomain(name);

    const error = (rawDomain === undefined ? undefined : checkDomain(rawDomain))
      ?? checkPath(path)
      ?? (tag === undefined ? undefined : checkTag(tag))
      ?? (digest === undefined ? undefined : checkDigest(digest));
    if (error !== undefined) {
      fail(error);
    }

    // Host names are case-insensitive (RFC 4343): `DOCKER.IO` is Docker Hub, and gets `library/`.
    const domain = normalizeDomain(rawDomain?.toLowerCase());
    const repository = domain === DOCKER_HUB_DOMAIN && !path.includes('/')
      ? `${OFFICIAL_REPOSITORY_PREFIX}${path}`
      : path;

    const fullName = `${domain}/${repository}`;
    if (fullName.length > NAME_MAX_LENGTH) {
      fail(`name is ${fullName.length} characters, the limit is ${NAME_MAX_LENGTH}`);
    }

    const effectiveTag = tag === undefined && digest === undefined ? DEFAULT_TAG : tag;
    return new ImageReference(domain, repository, effectiveTag, digest);
  }

  /**
   * The normalized registry domain (`host[:port]`, lowercase); Docker Hub is `docker.io`.
   */
  public readonly domain: string;

  /**
   * The repository path within the registry, e.g. `library/alpine`.
   */
  public readonly repository: string;

  /**
   * The tag, if any (`latest` when neither tag nor digest was given).
   */
  public readonly tag?: string;

  /**
   * The digest, if any, e.g. `sha256:...`.
   */
  public readonly digest?: string;

  /**
   * True when the image is on Docker Hub.
   */
  public readonly isDockerHub: boolean;

  /**
   * Suffix to append after the repository: `:tag`, `@digest`, or `:tag@digest`.
   */
  public readonly suffix: string;

  private constructor(domain: string, repository: string, tag: string | undefined, digest: string | undefined) {
    this.domain = domain;
    this.repository = repository;
    this.tag = tag;
    this.digest = digest;
    this.isDockerHub = domain === DOCKER_HUB_DOMAIN;
    this.suffix = `${tag === undefined ? '' : `:${tag}`}${digest === undefined ? '' : `@${digest}`}`;
  }

  /**
   * The full normalized reference, e.g. `docker.io/library/alpine:3`.
   */
  public toString(): string {
    return `${this.domain}/${this.repository}${this.suffix}`;
  }
}

/** Split `rest@digest` at the first `@`. */
function splitDigest(reference: string): { rest: string; digest?: string } {
  const at = reference.indexOf('@');
  if (at === -1) {
    return { rest: reference };
  }
  return { rest: reference.slice(0, at), digest: reference.slice(at + 1) };
}

/** Split `name:tag` at a `:` that comes after the last `/` (a `:` before it is a port). */
function splitTag(reference: string): { name: string; tag?: string } {
  const colon = reference.lastIndexOf(':');
  if (colon === -1 || colon < reference.lastIndexOf('/')) {
    return { name: reference };
  }
  return { name: reference.slice(0, colon), tag: reference.slice(colon + 1) };
}

/**
 * Split `domain/path`. As in distribution's `splitDockerDomain`, the first
 * component is a domain only if it contains `.` or `:`, is `localhost`, or
 * has uppercase letters (`parse` then lowercases it).
 */
function splitDomain(name: string): { domain?: string; path: string } {
  const slash = name.indexOf('/');
  if (slash === -1) {
    return { path: name };
  }
  const first = name.slice(0, slash);
  const isDomain = first.includes('.')
    || first.includes(':')
    || first === 'localhost'
    || first.toLowerCase() !== first;
  return isDomain ? { domain: first, path: name.slice(slash + 1) } : { path: name };
}

function normalizeDomain(domain: string | undefined): string {
  return domain === undefined || DOCKER_HUB_ALIASES.has(domain) ? DOCKER_HUB_DOMAIN : domain;
}

/** @returns the rule broken by the domain, or undefined when it is valid */
function checkDomain(domain: string): string | undefined {
  if (DOMAIN_REGEXP.test(domain)) {
    return undefined;
  }
  return `domain '${domain}' must be a host name, IPv4 address or [IPv6 address], optionally followed by ':port'`;
}

/** @returns the rule broken by the repository path, or undefined when it is valid */
function checkPath(path: string): string | undefined {
  for (const component of path.split('/')) {
    if (component.length === 0) {
      return 'empty path component';
    }
    if (!PATH_COMPONENT_REGEXP.test(component)) {
      return `path component '${component}' must be lowercase letters, digits and separators (., _, __, -)`
        + ', starting and ending with a letter or digit';
    }
  }
  return undefined;
}

/** @returns the rule broken by the tag, or undefined when it is valid */
function checkTag(tag: string): string | undefined {
  if (tag.length === 0) {
    return "empty tag after ':'";
  }
  if (!TAG_REGEXP.test(tag)) {
    return `tag '${tag}' must match ${TAG}`;
  }
  return undefined;
}

/** @returns the rule broken by the digest, or undefined when it is valid */
function checkDigest(digest: string): string | undefined {
  if (digest.length === 0) {
    return "empty digest after '@'";
  }
  const colon = digest.indexOf(':');
  const algorithm = colon === -1 ? digest : digest.slice(0, colon);
  const hexLength = DIGEST_HEX_LENGTHS.get(algorithm);
  if (hexLength !== undefined) {
    const hex = digest.slice(colon + 1);
    if (colon === -1 || hex.length !== hexLength || !LOWERCASE_HEX_REGEXP.test(hex)) {
      return `digest '${digest}' must be 'algorithm:hex' with ${hexLength} lowercase hex characters for ${algorithm}`;
    }
    return undefined;
  }
  if (!DIGEST_REGEXP.test(digest)) {
    return `digest '${digest}' must be 'algorithm:hex' with at least 32 hex characters`;
  }
  const supported = [...DIGEST_HEX_LENGTHS.keys()].join(', ');
  return `digest algorithm '${algorithm}' is not supported (supported: ${supported})`;
}
