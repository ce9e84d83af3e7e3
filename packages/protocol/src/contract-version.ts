/**
 * Semver of the integration contract and session wire protocol described in CONTRACT.md.
 * A breaking change to `proto/` needs a major bump here and in CONTRACT.md (the contract test
 * checks that the two agree).
 */
export const CONTRACT_VERSION = '1.0.0-draft';

/** Major version a peer must share with us to talk at all. */
export const CONTRACT_MAJOR = 1;

/**
 * Whether a peer's announced protocol version can talk to this one: same major version.
 * An empty version (a peer that did not say) is accepted as the current one.
 */
export function isCompatibleVersion(version: string): boolean {
  if (version === '') return true;
  const match = /^(\d+)\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/.exec(version);
  return match !== null && Number(match[1]) === CONTRACT_MAJOR;
}
