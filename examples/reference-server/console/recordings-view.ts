import type { management } from '@guruconnect/protocol';
import { html, LitElement } from 'lit';
import type { ConsoleApi } from './console-api.js';
import { describeError } from './console-api.js';
import { sharedStyles } from './console-styles.js';
import { formatBytes, formatTime } from './format.js';

/** Terminal recordings (admins only): list, replay in the browser, download the .cast file. */
export class RecordingsView extends LitElement {
  static override styles = sharedStyles;
  static override properties = {
    api: { attribute: false },
    recordings: { state: true },
    playing: { state: true },
    error: { state: true },
  };
  declare api: ConsoleApi;
  declare recordings: management.Recording[];
  declare playing: string;
  declare error: string;

  constructor() {
    super();
    this.recordings = [];
    this.playing = '';
    this.error = '';
  }

  override connectedCallback() {
    super.connectedCallback();
    void this.load();
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    if (this.playing) URL.revokeObjectURL(this.playing);
  }

  private async load() {
    try {
      this.recordings = (await this.api.sessions.listRecordings({ pageSize: 200 })).recordings;
    } catch (err) {
      this.error = describeError(err);
    }
  }

  /** The file, fetched with the operator's token (the download route needs it). */
  private async file(r: management.Recording): Promise<Blob> {
    const res = await fetch(`/api/recordings/${encodeURIComponent(r.recordingId)}.cast`, {
      headers: { Authorization: `Bearer ${this.api.token() ?? ''}` },
    });
    if (!res.ok) throw new Error(`The recording could not be loaded (${res.status})`);
    return res.blob();
  }

  private async play(r: management.Recording) {
    try {
      if (this.playing) URL.revokeObjectURL(this.playing);
      this.playing = URL.createObjectURL(await this.file(r));
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  private async download(r: management.Recording) {
    try {
      const url = URL.createObjectURL(await this.file(r));
      const a = document.createElement('a');
      a.href = url;
      a.download = `guruconnect-${r.sessionId}-${r.recordingId}.cast`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  override render() {
    return html`
      <h1>Terminal recordings</h1>
      <p class="muted">Every terminal session is recorded (asciicast v2, playable with asciinema).</p>
      ${this.error ? html`<div class="error" role="alert">${this.error}</div>` : ''}
      ${this.playing ? html`<gc-viewer mode="playback" src=${this.playing} style="height:420px;display:block;margin-bottom:16px"></gc-viewer>` : ''}
      <table>
        <thead><tr><th>Machine</th><th>Session</th><th>Started</th><th>Ended</th><th>Size</th><th></th></tr></thead>
        <tbody>
          ${this.recordings.map(
            (r) => html`<tr data-recording-id=${r.recordingId}>
              <td>${r.machineName || '—'}</td><td><code>${r.sessionId}</code></td>
              <td>${formatTime(r.startedAt)}</td><td>${r.endedAt ? formatTime(r.endedAt) : html`<span class="pill live">recording</span>`}</td>
              <td>${formatBytes(r.sizeBytes)}</td>
              <td><button @click=${() => this.play(r)}>Play</button> <button @click=${() => this.download(r)}>Download</button></td>
            </tr>`,
          )}
          ${this.recordings.length === 0 ? html`<tr><td colspan="6" class="muted">No recordings yet.</td></tr>` : ''}
        </tbody>
      </table>
    `;
  }
}
