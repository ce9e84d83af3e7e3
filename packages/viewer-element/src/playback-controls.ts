import type { TemplateResult } from 'lit';
import { html } from 'lit';
import type { AsciicastPlayer } from './asciicast-player.js';

/** The speeds offered by the playback toolbar. */
export const PLAYBACK_SPEEDS = [1, 2, 4] as const;

function clock(seconds: number): string {
  const s = Math.floor(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** Play/pause, speed and position of a recording. */
export function renderPlaybackControls(player: AsciicastPlayer | undefined): TemplateResult {
  const playing = player?.playing === true;
  const onToggle = () => (playing ? player?.pause() : player?.play());
  const onSpeed = (speed: number) => {
    if (player !== undefined) player.speed = speed;
  };
  return html`<div class="toolbar playback" part="toolbar" role="toolbar" aria-label="Recording">
    <button part="button" data-action="play" ?disabled=${player === undefined} @click=${onToggle}>
      ${playing ? 'Pause' : 'Play'}
    </button>
    <select
      part="speed"
      aria-label="Speed"
      ?disabled=${player === undefined}
      @change=${(e: Event) => onSpeed(Number((e.target as HTMLSelectElement).value))}
    >
      ${PLAYBACK_SPEEDS.map((s) => html`<option value=${s} ?selected=${player?.speed === s}>${s}×</option>`)}
    </select>
    <span class="clock" part="clock">${clock(player?.position ?? 0)} / ${clock(player?.duration ?? 0)}</span>
  </div>`;
}
