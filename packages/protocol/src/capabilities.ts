/**
 * Capability flag names. Agents and viewers announce theirs in their hello; the server
 * announces its features through `GetCapabilities`. Names are stable strings: new flags are
 * added, never renamed.
 */
export const Capability = {
  /** Agent can capture and stream a desktop. */
  Desktop: 'desktop',
  /** Agent or viewer supports the terminal channel. */
  Terminal: 'terminal',
  /** File transfer channel. */
  FileTransfer: 'file-transfer',
  /** Clipboard text both ways. */
  Clipboard: 'clipboard',
  /** Chat with the end user. */
  Chat: 'chat',
  /** More than one display, selectable. */
  MultiDisplay: 'multi-display',
  /** Remote cursor shape and position messages. */
  Cursor: 'cursor',
  /** Viewer decodes CODEC_JPEG rectangles. */
  CodecJpeg: 'codec-jpeg',
  /** Viewer decodes CODEC_ZSTD_BGRA rectangles (baseline; always present). */
  CodecZstd: 'codec-zstd',
  /** Viewer applies CODEC_COPY rectangles (scrolled areas copied on its own screen). */
  CodecCopy: 'codec-copy',
  /** Viewer decodes `VideoFrame.stream_chunk` (rectangles in one zstd stream across frames). */
  CodecZstdStream: 'codec-zstd-stream',
  /**
   * Viewer accepts VideoFrames that carry the display id, size and capture time only on key
   * frames (unset on the others: unchanged since the last key frame).
   */
  CompactFrames: 'compact-frames',
} as const;

export type Capability = (typeof Capability)[keyof typeof Capability];

/** Server feature flags reported by `IntegrationService.GetCapabilities`. */
export const Feature = {
  EmbeddedViewer: 'embedded-viewer',
  ConsentPrompt: 'consent-prompt',
  PerMachineKeys: 'per-machine-keys',
  ProgrammaticSessions: 'programmatic-sessions',
  SupportCodes: 'support-codes',
  Terminal: 'terminal',
  FileTransfer: 'file-transfer',
  Webhooks: 'webhooks',
  SessionRecording: 'session-recording',
} as const;

export type Feature = (typeof Feature)[keyof typeof Feature];

const known = new Set<string>([...Object.values(Capability), ...Object.values(Feature)]);

/** True when `name` is a flag this version of the protocol knows. Unknown flags are ignored, not errors. */
export function isKnownFlag(name: string): boolean {
  return known.has(name);
}
