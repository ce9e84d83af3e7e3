import type { TemplateResult } from 'lit';
import { html, nothing } from 'lit';
import { styleMap } from 'lit/directives/style-map.js';
import type { AsciicastPlayer } from './asciicast-player.js';
import type { ConnectionState } from './connection-state.js';
import { statusText } from './connection-state.js';
import type { PlaybackStatus } from './playback-controller.js';
import { playbackStatusText } from './playback-controller.js';
import { renderPlaybackControls } from './playback-controls.js';
import type { ViewerToolbarModel } from './viewer-toolbar.js';
import { renderToolbar } from './viewer-toolbar.js';

/** Everything the shadow DOM of `<gc-viewer>` shows. */
export interface ViewerView {
  mode: 'desktop' | 'terminal' | 'playback';
  state: ConnectionState;
  /** A message about the live session, or ''. */
  notice: string;
  /** CSS size of the screen (desktop mode). */
  stage: { width: number; height: number };
  playback: PlaybackStatus;
  player: AsciicastPlayer | undefined;
  /** Desktop mode: the terminal pane is shown. */
  terminalPane: boolean;
  toolbar: ViewerToolbarModel;
}

/**
 * The element's shadow DOM: the screen (desktop mode), the terminal's container (xterm.js renders
 * into it; the whole element in terminal and playback modes, a pane in desktop mode), the
 * mode's toolbar and the status box.
 */
export function renderViewer(view: ViewerView): TemplateResult {
  const { mode, state, notice, stage, playback } = view;
  const connected = state.kind === 'connected';
  const status =
    mode === 'playback'
      ? playbackStatusText(playback)
      : connected && notice !== ''
        ? notice
        : statusText(state);
  const statusHidden = mode === 'playback' ? playback.kind === 'ready' : connected && notice === '';
  const toolbar =
    mode === 'playback'
      ? renderPlaybackControls(view.player)
      : mode === 'terminal'
        ? nothing
        : renderToolbar(view.toolbar);
  return html`
    <div class="viewport" part="viewport" ?hidden=${mode !== 'desktop'}>
      <div class="stage" style=${styleMap({ width: `${stage.width}px`, height: `${stage.height}px` })}>
        <canvas class="screen" part="canvas" tabindex="0" aria-label="Remote screen"></canvas>
        <canvas class="cursor" part="cursor" aria-hidden="true"></canvas>
      </div>
    </div>
    <div class="terminal ${mode}" part="terminal" ?hidden=${mode === 'desktop' && !view.terminalPane}></div>
    ${toolbar}
    <div
      class="status"
      part="status"
      role="status"
      aria-live="polite"
      data-state=${mode === 'playback' ? playback.kind : state.kind}
      ?hidden=${statusHidden}
    >
      <span>${status}</span>
    </div>
  `;
}

/**
 * The size the screen is drawn at: the display's own size in `actual` scale, else the largest
 * that fits `viewport` with the display's aspect; 0×0 before the display size is known.
 */
export function stageSize(
  display: { width: number; height: number } | undefined,
  scale: 'fit' | 'actual',
  viewport: { width: number; height: number },
): { width: number; height: number } {
  if (display === undefined) return { width: 0, height: 0 };
  if (scale === 'actual') return display;
  const factor = Math.min(viewport.width / display.width, viewport.height / display.height);
  if (!(factor > 0)) return { width: 0, height: 0 };
  return { width: display.width * factor, height: display.height * factor };
}
