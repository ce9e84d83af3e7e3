// Public surface of @guruconnect/agent-core. Everything else under src/ is private.

// The agent.
export type { AgentExit } from './agent.js';
export { Agent, createAgent } from './agent.js';
export type { AgentErrorOptions } from './agent-error.js';
export { AgentError, AgentErrorCode } from './agent-error.js';
export type { AgentOptions } from './agent-options.js';
// Building blocks, for other platforms' backends and for benchmarks.
export type {
  CapturedImage,
  CursorImage,
  DisplayInfo,
  PixelRect,
  ScreenCapturer,
} from './capture/screen-capturer.js';
export type { X11ScreenCapturerOptions } from './capture/x11-screen-capturer.js';
export { X11ScreenCapturer } from './capture/x11-screen-capturer.js';
// Enrollment, configuration file and service unit (what the CLI uses).
export type { AgentConfigFile } from './cli/agent-config.js';
export { DEFAULT_CONFIG_PATH, readAgentConfig, writeAgentConfig } from './cli/agent-config.js';
export type { EnrollOptions, EnrollResult } from './cli/enroll.js';
export { enroll } from './cli/enroll.js';
export { ExitCode } from './cli/exit-codes.js';
export type { SystemdUnitOptions } from './cli/systemd-unit.js';
export { installSystemdUnit, renderSystemdUnit, uninstallSystemdUnit } from './cli/systemd-unit.js';
export type { ConsentDecision, ConsentProvider, ConsentRequestInfo } from './consent/consent-provider.js';
export type { PromptConsentProviderOptions } from './consent/prompt-consent-provider.js';
export { createPromptConsentProvider } from './consent/prompt-consent-provider.js';
export { EncoderError, EncoderErrorCode } from './encode/encoder-error.js';
export type { FrameDifferOptions } from './encode/frame-differ.js';
export { FrameDiffer } from './encode/frame-differ.js';
export type { EncodedRect, PixelSource, RectEncoderOptions } from './encode/rect-encoder.js';
export { RectEncoder } from './encode/rect-encoder.js';
export type { InventoryOptions } from './identity/inventory.js';
export { collectInventory } from './identity/inventory.js';
export type { MachineUidOptions } from './identity/machine-uid.js';
export { machineUid } from './identity/machine-uid.js';
export type { InputInjector } from './input/input-injector.js';
export type { ViewerInputOptions, ViewerPointer } from './input/viewer-input.js';
export { ViewerInput } from './input/viewer-input.js';
export type { X11InputInjectorOptions } from './input/x11-input-injector.js';
export { X11InputInjector } from './input/x11-input-injector.js';
export type { ConsoleLoggerOptions, Logger, LogLevel } from './logger.js';
export { createConsoleLogger, silentLogger } from './logger.js';
export type {
  CodecStats,
  ScreenStreamerOptions,
  StreamCodec,
  StreamerStats,
} from './stream/screen-streamer.js';
export { ScreenStreamer } from './stream/screen-streamer.js';
// Terminals (node-pty): what the agent serves on TerminalOpen, usable on their own.
export type { ResolveShellUserOptions, ShellUser } from './terminal/shell-user.js';
export { resolveShellUser } from './terminal/shell-user.js';
export type {
  TerminalChannelOptions,
  TerminalChannelStats,
  TerminalExitInfo,
} from './terminal/terminal-channel.js';
export { TerminalChannel } from './terminal/terminal-channel.js';
export { TerminalError, TerminalErrorCode } from './terminal/terminal-error.js';
export type { TerminalInfo, TerminalManagerOptions } from './terminal/terminal-manager.js';
export { TerminalManager } from './terminal/terminal-manager.js';
export type { AgentConnectionOptions } from './transport/agent-connection.js';
export { AgentConnection, agentUrl } from './transport/agent-connection.js';
export type { BackoffOptions } from './transport/backoff.js';
export { Backoff } from './transport/backoff.js';
export type { ConnectionState, ConnectionStateKind } from './transport/connection-state.js';
export { CONNECTION_TRANSITIONS } from './transport/connection-state.js';
export { AGENT_VERSION } from './version.js';
