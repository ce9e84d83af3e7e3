// Page of the keystroke → painted measurement: the built <gc-viewer> as an integrator bundles
// it, plus a hook that stamps every FrameAck the element sends (it sends one right after
// painting a frame) with wall-clock time, comparable with the harness's `wallMs()`.
import { decodeEnvelope } from '@guruconnect/protocol';
import { defineGcViewer } from '@guruconnect/viewer-element';

defineGcViewer();
const acks = [];
const send = WebSocket.prototype.send;
WebSocket.prototype.send = function (data) {
  const at = performance.timeOrigin + performance.now();
  if (data instanceof Uint8Array || data instanceof ArrayBuffer) {
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
    try {
      if (decodeEnvelope(bytes).payload.case === 'frameAck') acks.push(at);
    } catch {
      // not ours to judge
    }
  }
  return send.call(this, data);
};
window.benchAcks = () => acks.slice();
window.benchOpen = (server) => {
  const el = document.createElement('gc-viewer');
  el.style.width = '1280px';
  el.style.height = '720px';
  el.server = server;
  el.session = 'bench-session';
  el.token = 'bench';
  el.addEventListener('gc-connected', () => {
    window.benchConnected = true;
  });
  window.benchLog = [];
  for (const type of ['gc-error', 'gc-disconnected']) {
    el.addEventListener(type, (e) => window.benchLog.push(`${type} ${e.code ?? ''} ${e.message ?? ''}`));
  }
  document.body.append(el);
};
