import type { Envelope } from './gen/guruconnect/session/v1/session_pb.js';
import { Channel } from './gen/guruconnect/session/v1/session_pb.js';

/** The name of one Envelope payload kind, e.g. `'video_frame'` (as protobuf-es spells it: `videoFrame`). */
export type PayloadCase = NonNullable<Envelope['payload']['case']>;

/**
 * Payload kinds an agent may send. Anything else from an agent socket is a policy violation
 * (close 1008). This table and {@link VIEWER_SENDS} are the single allowlist: the relay
 * enforces them, agents and viewers may use them to check themselves.
 */
export const AGENT_SENDS: ReadonlySet<PayloadCase> = new Set<PayloadCase>([
  'agentHello',
  'consentResponse',
  'displayList',
  'videoFrame',
  'cursorShape',
  'cursorPosition',
  'clipboard',
  'terminalData',
  'terminalExit',
  'fileOffer',
  'fileChunk',
  'fileAck',
  'fileComplete',
  'fileCancel',
  'chat',
  'heartbeat',
  'agentStatus',
  'error',
  'closeNotice',
]);

/** Payload kinds a viewer may send. */
export const VIEWER_SENDS: ReadonlySet<PayloadCase> = new Set<PayloadCase>([
  'viewerHello',
  'displaySelect',
  'frameAck',
  'pointerEvent',
  'keyEvent',
  'clipboard',
  'terminalOpen',
  'terminalData',
  'terminalResize',
  'terminalAck',
  'terminalExit',
  'fileOffer',
  'fileChunk',
  'fileAck',
  'fileComplete',
  'fileCancel',
  'chat',
  'heartbeat',
  'refreshRequest',
  'closeNotice',
]);

/**
 * The channel a viewer's token must grant before the relay forwards a payload of this kind
 * from it. Kinds absent here need only a joined viewer (heartbeat, close notice).
 */
export const CHANNEL_FOR_VIEWER_PAYLOAD: ReadonlyMap<PayloadCase, Channel> = new Map<PayloadCase, Channel>([
  ['displaySelect', Channel.VIEW],
  ['frameAck', Channel.VIEW],
  ['refreshRequest', Channel.VIEW],
  ['pointerEvent', Channel.CONTROL],
  ['keyEvent', Channel.CONTROL],
  ['clipboard', Channel.CLIPBOARD],
  ['terminalOpen', Channel.TERMINAL],
  ['terminalData', Channel.TERMINAL],
  ['terminalResize', Channel.TERMINAL],
  ['terminalAck', Channel.TERMINAL],
  ['terminalExit', Channel.TERMINAL],
  ['fileOffer', Channel.FILES],
  ['fileChunk', Channel.FILES],
  ['fileAck', Channel.FILES],
  ['fileComplete', Channel.FILES],
  ['fileCancel', Channel.FILES],
  ['chat', Channel.CHAT],
]);

/**
 * Payload kinds that carry bulk bytes and may be as large as the frame limit. Every other kind
 * is a control message and must fit the (much smaller) control limit.
 */
export const BULK_PAYLOADS: ReadonlySet<PayloadCase> = new Set<PayloadCase>([
  'videoFrame',
  'cursorShape',
  'clipboard',
  'terminalData',
  'fileChunk',
  'agentStatus',
]);

/**
 * Payload kinds that must never be dropped for flow control: input, chat, clipboard, terminal
 * and file bytes. Video (and cursor position) may be replaced by a fresher one.
 */
export const DROPPABLE_PAYLOADS: ReadonlySet<PayloadCase> = new Set<PayloadCase>([
  'videoFrame',
  'cursorPosition',
]);
