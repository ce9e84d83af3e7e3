import type { ITerminalOptions } from '@xterm/xterm';
import { Terminal } from '@xterm/xterm';

/** OSC 52: "set the clipboard" (also "query" it). */
const OSC_CLIPBOARD = 52;

export interface HardenedTerminalOptions {
  /** Asks the user before a clicked hyperlink opens. Default `window.confirm`. */
  confirmLink?: (uri: string) => boolean;
  /** Called when the remote program tried to use the clipboard (OSC 52); the request is dropped. */
  onClipboardRequest?: () => void;
  /** Extra xterm options (stdin, size…). */
  terminal?: ITerminalOptions;
}

/**
 * An xterm.js Terminal that treats the remote program's output as hostile:
 * - OSC 52 (clipboard write or read) is swallowed: the remote side never touches the local
 *   clipboard. Copying stays a user gesture (selection + Ctrl+Shift+C or the browser's copy).
 * - OSC 8 hyperlinks open only when clicked, only for http(s), only after the user confirms the
 *   full address, and in a new tab without an opener. Plain-text URLs are not linkified.
 * - Scrollback is bounded (5 000 lines), so a flood of output (or one 1 MB line, which wraps)
 *   costs bounded memory.
 */
export function createHardenedTerminal(options: HardenedTerminalOptions = {}): Terminal {
  const confirmLink =
    options.confirmLink ??
    ((uri: string) =>
      window.confirm(
        `The remote terminal links to:\n\n${uri}\n\nOpen it in a new tab? Links can be dangerous.`,
      ));
  const terminal = new Terminal({
    allowProposedApi: false,
    cursorBlink: true,
    fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
    fontSize: 14,
    scrollback: 5000,
    // Text the remote program asks the terminal to report back (window title…) stays local.
    windowOptions: {},
    ...options.terminal,
    linkHandler: {
      allowNonHttpProtocols: false,
      activate(event: MouseEvent, uri: string): void {
        event.preventDefault();
        let url: URL;
        try {
          url = new URL(uri);
        } catch {
          return; // not a URL at all: nothing to open
        }
        if (url.protocol !== 'http:' && url.protocol !== 'https:') return;
        if (!confirmLink(url.href)) return;
        window.open(url.href, '_blank', 'noopener,noreferrer');
      },
    },
  });
  terminal.parser.registerOscHandler(OSC_CLIPBOARD, () => {
    options.onClipboardRequest?.();
    return true; // handled: never reaches any other handler (e.g. a clipboard addon)
  });
  return terminal;
}
