// Entry of the embed page bundle: /embed/viewer (framable by allowed origins) and /viewer (the
// full-page native fallback). The viewer token arrives in the URL fragment, which browsers never
// send to the server, and is removed from the address bar at once.
import { defineGcViewer, type GcViewer } from '@guruconnect/viewer-element';
import { bridgeToParent } from './embed-host.js';

defineGcViewer();
const params = new URLSearchParams(location.hash.slice(1));
history.replaceState(null, '', location.pathname);
const allowed = (document.querySelector('meta[name="gc-embed-origins"]')?.getAttribute('content') ?? '')
  .split(' ')
  .filter(Boolean);

const session = params.get('session') ?? '';
const token = params.get('token') ?? '';
const status = document.getElementById('status') as HTMLElement;
if (!session || !token) {
  status.textContent = 'This link is incomplete: it needs a session and a viewer token.';
} else {
  status.remove();
  const viewer = document.createElement('gc-viewer') as GcViewer;
  viewer.setAttribute('scale', params.get('scale') === 'actual' ? 'actual' : 'fit');
  if (params.get('view-only') === '1') viewer.setAttribute('view-only', '');
  bridgeToParent(viewer, allowed);
  viewer.server = location.origin;
  viewer.session = session;
  viewer.token = token;
  document.body.append(viewer);
}
