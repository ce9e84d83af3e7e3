// The RMM's device page: one "Remote Control" button, the session shown two ways.
import { defineGcViewer, type GcViewer } from '@guruconnect/viewer-element';

defineGcViewer();
const config = JSON.parse(document.getElementById('rmm-config')?.textContent ?? '{}') as {
  gcUrl: string;
  deviceId: string;
};
const button = document.getElementById('remote-control') as HTMLButtonElement;
const status = document.getElementById('status') as HTMLElement;

// Events from the embedded GuruConnect page (only ever posted to this exact origin).
addEventListener('message', (e) => {
  if (e.origin !== config.gcUrl || e.data?.source !== 'guruconnect') return;
  status.textContent = `embed: ${e.data.type}`;
  document.body.dataset[`embed${e.data.type[0].toUpperCase()}${e.data.type.slice(1)}`] = 'yes';
});

button.addEventListener('click', async () => {
  button.disabled = true;
  const res = await fetch(`/api/remote-control?device=${encodeURIComponent(config.deviceId)}`, {
    method: 'POST',
  });
  if (!res.ok) {
    status.textContent = `Remote control failed (${res.status})`;
    button.disabled = false;
    return;
  }
  const rc = (await res.json()) as { sessionId: string; token: string; embedUrl: string };
  // Way 1: <gc-viewer> directly on this page.
  const viewer = document.createElement('gc-viewer') as GcViewer;
  viewer.id = 'direct';
  viewer.server = config.gcUrl;
  viewer.session = rc.sessionId;
  viewer.token = rc.token;
  document.getElementById('direct-slot')?.append(viewer);
  // Way 2: GuruConnect's embed page in an iframe, a second viewer of the same session.
  const frame = document.createElement('iframe');
  frame.id = 'embed';
  frame.src = rc.embedUrl;
  document.getElementById('embed-slot')?.append(frame);
});
