import type { Display } from '@guruconnect/protocol';
import type { TemplateResult } from 'lit';
import { html, nothing } from 'lit';

export interface ViewerToolbarModel {
  /** Input is allowed (control granted, not view-only, connected). */
  control: boolean;
  connected: boolean;
  displays: readonly Display[];
  activeDisplayId: string;
  scale: 'fit' | 'actual';
  onCtrlAltDel: () => void;
  onRefresh: () => void;
  onSelectDisplay: (id: string) => void;
  onToggleScale: () => void;
  /** The token grants the terminal channel (and the session is connected). */
  terminal: boolean;
  /** The terminal pane is shown. */
  terminalOpen: boolean;
  onToggleTerminal: () => void;
}

/** The small toolbar over the screen: Ctrl+Alt+Del, refresh, display picker, scale toggle, terminal pane. */
export function renderToolbar(model: ViewerToolbarModel): TemplateResult {
  const picker =
    model.displays.length > 1
      ? html`<select
          part="display-picker"
          aria-label="Display"
          .value=${model.activeDisplayId}
          @change=${(e: Event) => model.onSelectDisplay((e.target as HTMLSelectElement).value)}
        >
          ${model.displays.map(
            (d, i) =>
              html`<option value=${d.id} ?selected=${d.id === model.activeDisplayId}>
                ${d.name || `Display ${i + 1}`} (${d.width}×${d.height})
              </option>`,
          )}
        </select>`
      : nothing;
  return html`<div class="toolbar" part="toolbar" role="toolbar" aria-label="Remote session">
    ${
      model.control
        ? html`<button part="button" data-action="ctrl-alt-del" title="Send Ctrl+Alt+Del" @click=${model.onCtrlAltDel}>
            Ctrl+Alt+Del
          </button>`
        : nothing
    }
    <button
      part="button"
      data-action="refresh"
      title="Ask for a full refresh of the screen"
      ?disabled=${!model.connected}
      @click=${model.onRefresh}
    >
      Refresh
    </button>
    ${picker}
    <button
      part="button"
      data-action="scale"
      title=${model.scale === 'fit' ? 'Show at actual size' : 'Fit to the window'}
      @click=${model.onToggleScale}
    >
      ${model.scale === 'fit' ? 'Actual size' : 'Fit'}
    </button>
    ${
      model.terminal
        ? html`<button
            part="button"
            data-action="terminal"
            aria-pressed=${model.terminalOpen ? 'true' : 'false'}
            title=${model.terminalOpen ? 'Hide the terminal' : 'Open a terminal on the remote machine'}
            @click=${model.onToggleTerminal}
          >
            Terminal
          </button>`
        : nothing
    }
  </div>`;
}
