import { ViewerError, ViewerErrorCode } from './viewer-error.js';

/**
 * The relay's viewer endpoint for a server base URL: `${server}/v1/viewer` with http → ws and
 * https → wss (ws: / wss: are kept). A path prefix is kept (`https://h/gc` → `wss://h/gc/v1/viewer`).
 * Throws {@link ViewerError} `GC_ERR_VIEWER_CONFIG` for anything else.
 */
export function viewerUrl(server: string): string {
  let url: URL;
  try {
    url = new URL(server);
  } catch (cause) {
    throw new ViewerError(ViewerErrorCode.Config, `server "${server}" is not a URL`, { cause });
  }
  const protocol = { 'http:': 'ws:', 'https:': 'wss:', 'ws:': 'ws:', 'wss:': 'wss:' }[url.protocol];
  if (protocol === undefined) {
    throw new ViewerError(ViewerErrorCode.Config, `server "${server}" must be an http(s) or ws(s) URL`);
  }
  url.protocol = protocol;
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/viewer`;
  url.search = '';
  url.hash = '';
  return url.toString();
}
