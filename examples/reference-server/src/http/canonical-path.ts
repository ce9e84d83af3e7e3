/**
 * The path of a request if it is in canonical form, else undefined. Routing matches canonical
 * paths exactly (case-sensitive), so variants such as `//x`, `/x/`, `/X`, `%2e`, `/x;param` and
 * `/a/../x` never reach a handler by another name: they fall through to 404.
 */
export function canonicalPath(rawUrl: string | undefined): string | undefined {
  if (rawUrl === undefined || !rawUrl.startsWith('/')) return undefined;
  const q = rawUrl.search(/[?#]/);
  const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
  if (path.length > 1 && path.endsWith('/')) return undefined;
  if (path.includes('//') || path.includes(';') || path.includes('%') || path.includes('\\'))
    return undefined;
  if (path.split('/').some((seg) => seg === '.' || seg === '..')) return undefined;
  if (!/^[A-Za-z0-9/._~-]*$/.test(path)) return undefined;
  return path;
}
