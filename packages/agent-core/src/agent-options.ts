import type { ScreenCapturer } from './capture/screen-capturer.js';
import type { ConsentProvider } from './consent/consent-provider.js';
import type { QualityControllerOptions } from './encode/quality-controller.js';
import type { InputInjector } from './input/input-injector.js';
import type { Logger } from './logger.js';
import type { TerminalManagerOptions } from './terminal/terminal-manager.js';
import type { BackoffOptions } from './transport/backoff.js';

/** Options of {@link createAgent}. Exactly one of `supportCode` and `agentKey` is required. */
export interface AgentOptions {
  /** Server base URL (`http(s)://host[:port]`); the agent connects to `/v1/agent` on it. */
  server: string;
  /** One-time support code: an attended, one-shot session that asks the end user for consent. */
  supportCode?: string;
  /** Per-machine agent key (`cak_…`): a persistent, unattended agent. */
  agentKey?: string;
  /** Reconnect forever (and retry a refused key at the backoff cap). Default: true with `agentKey`, false with `supportCode`. */
  persistent?: boolean;
  /** X display to capture and control. Default `process.env.DISPLAY`. */
  display?: string;
  /** Screen capture backend. Default an X11ScreenCapturer on `display` (owned and closed by the agent). */
  capturer?: ScreenCapturer;
  /** Input backend. Default an X11InputInjector on `display` (owned and closed by the agent). */
  injector?: InputInjector;
  /** Use MIT-SHM when capturing. Default true. */
  useShm?: boolean;
  /** Use XDamage events (else poll). Default true. */
  useDamage?: boolean;
  /** Most frames per second. Default 60; bounds 1–240. */
  fps?: number;
  /** Frames in flight per viewer. Default 3; bounds 1–64. */
  window?: number;
  /** zstd level. Default 1; bounds -7–19. */
  zstdLevel?: number;
  /**
   * `adaptive` (zstd for text/UI, JPEG for photographic or fast-changing regions, refined to
   * lossless when they stop changing) or `zstd` (always lossless). Default `adaptive` when
   * libturbojpeg loads, else `zstd` with a logged warning.
   */
  codec?: 'zstd' | 'adaptive';
  /**
   * JPEG quality bounds of the adaptive codec: `max` (the starting and highest quality, default
   * 93), `min` (the lowest a congested link pushes it to, default 40) and `motionQuality` (the cap
   * for full-screen motion, default 60); each 1–100. A lower `max` trades detail in moving regions
   * for bandwidth on metered links: a 640×360 video region at 30 fps takes about 52 KB a frame at
   * 93 and about 10 KB at 60 (`bench/perf`).
   */
  jpegQuality?: Pick<QualityControllerOptions, 'min' | 'max' | 'motionQuality'>;
  /** Send scrolled areas as CODEC_COPY rectangles plus the new lines. Default true. */
  scrollDetection?: boolean;
  /** Asks the end user on a ConsentRequest. Default: stdin and, with a display, a zenity dialog. */
  consentProvider?: ConsentProvider;
  /** The agent declines consent requests unanswered after this many ms. Default 60 000; bounds 1000–600 000. */
  consentTimeoutMs?: number;
  /** Heartbeat period when the relay does not announce one. Default 15 000 ms. */
  heartbeatIntervalMs?: number;
  /** Reconnect backoff. Default 1 s base, 30 s cap, full jitter. */
  backoff?: BackoffOptions;
  /** How often the inventory is re-read (sent only when it changed). Default 60 000 ms; bounds 1000–86 400 000. */
  inventoryIntervalMs?: number;
  /** Machine uid override. Default derived from /etc/machine-id (see machineUid). */
  machineUid?: string;
  /** The integrator's device id, when the key was provisioned for one. Default ''. */
  deviceId?: string;
  logger?: Logger;
  /**
   * `true`: serve terminals only, never touch X (AgentStatus.terminal_only, no DisplayList).
   * `'auto'`: the same when no X display is reachable (what `gc-agent` does). Default false:
   * no reachable display is an error (`GC_ERR_AGENT_NO_DISPLAY`).
   */
  terminalOnly?: boolean | 'auto';
  /**
   * Let terminals run a root shell. Default false: when the shell would run as uid 0 (the agent
   * runs as root and no other `terminal.user` is set) TerminalOpen is refused with a
   * TerminalExit saying why.
   */
  allowRootShell?: boolean;
  /** Terminal settings: `enabled` (default true), `user`, `shell`, `windowBytes`, `killGraceMs`, `maxTerminals`. */
  terminal?: Omit<TerminalManagerOptions, 'send' | 'logger' | 'allowRootShell'>;
}
