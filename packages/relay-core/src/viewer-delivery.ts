import { Channel, CloseReason, type Envelope } from '@guruconnect/protocol';
import type { RelayCounters, ViewerConn } from './connections.js';
import type { ResolvedRelayOptions } from './relay-options.js';

/** Channel a viewer needs to receive a payload kind from the agent; absent kinds go to every viewer. */
const CHANNEL_FOR_AGENT_PAYLOAD: ReadonlyMap<string, Channel> = new Map<string, Channel>([
  ['displayList', Channel.VIEW],
  ['videoFrame', Channel.VIEW],
  ['cursorShape', Channel.VIEW],
  ['cursorPosition', Channel.VIEW],
  ['clipboard', Channel.CLIPBOARD],
  ['terminalData', Channel.TERMINAL],
  ['terminalExit', Channel.TERMINAL],
  ['fileOffer', Channel.FILES],
  ['fileChunk', Channel.FILES],
  ['fileAck', Channel.FILES],
  ['fileComplete', Channel.FILES],
  ['fileCancel', Channel.FILES],
  ['chat', Channel.CHAT],
]);

export interface DeliveryContext {
  readonly options: ResolvedRelayOptions;
  readonly counters: RelayCounters;
  /** Asks the agent for a key frame for this viewer if it has room again. */
  requestRefresh(viewer: ViewerConn): void;
}

/**
 * Sends one agent message (`data`, the bytes as received — never re-encoded) to one viewer,
 * under the viewer's channels and flow control:
 * - video: admitted by {@link ViewerFlow} (window and half the buffer cap), else dropped, the
 *   viewer marked behind (1013 after `slowViewerTimeoutMs`) and a refresh asked when it has room;
 * - cursor position: dropped while the socket holds more than half the cap;
 * - everything else is never dropped: a viewer whose buffer would pass the cap is closed (1013).
 */
export function deliverToViewer(
  ctx: DeliveryContext,
  viewer: ViewerConn,
  envelope: Envelope,
  data: Buffer,
): void {
  const payload = envelope.payload;
  const channel = CHANNEL_FOR_AGENT_PAYLOAD.get(payload.case as string);
  if (channel !== undefined && !viewer.channels.has(channel)) return;
  const peer = viewer.peer;
  if (!peer.isOpen) return;
  const { counters, options } = ctx;
  const buffered = peer.bufferedAmount;
  const size = data.byteLength;
  if (payload.case === 'videoFrame') {
    const frame = payload.value;
    const now = performance.now();
    if (viewer.flow.admit(Number(frame.sequence), frame.keyFrame, size, buffered, now) === 'drop') {
      counters.framesDropped += 1;
      watchBehind(viewer, options.slowViewerTimeoutMs);
      ctx.requestRefresh(viewer);
      return;
    }
    peer.send(data, viewer.onVideoFlushed);
    if (viewer.flow.behindSince === undefined && viewer.behindTimer !== undefined) {
      clearTimeout(viewer.behindTimer);
      viewer.behindTimer = undefined;
    }
  } else if (payload.case === 'cursorPosition') {
    if (buffered + size > options.maxBufferedBytes / 2) {
      counters.framesDropped += 1;
      return;
    }
    peer.send(data);
  } else {
    if (buffered + size > options.maxBufferedBytes) {
      // Never dropped, never queued past the cap: this viewer cannot keep up at all.
      peer.close(CloseReason.VIEWER_TOO_SLOW);
      return;
    }
    peer.send(data);
  }
  const after = peer.bufferedAmount;
  if (after > viewer.flow.peakBufferedBytes) viewer.flow.peakBufferedBytes = after;
  counters.bytesRelayed += size;
  counters.framesForwarded += 1;
}

/** Video is being dropped for `viewer`: close it with 1013 if that lasts `timeoutMs`. */
function watchBehind(viewer: ViewerConn, timeoutMs: number): void {
  if (viewer.behindTimer !== undefined) return;
  viewer.behindTimer = setTimeout(() => {
    viewer.behindTimer = undefined;
    if (viewer.flow.behindSince !== undefined) viewer.peer.close(CloseReason.VIEWER_TOO_SLOW);
  }, timeoutMs);
}
