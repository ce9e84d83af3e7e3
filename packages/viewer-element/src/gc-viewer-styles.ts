import { css } from 'lit';

export const gcViewerStyles = css`
  :host {
    display: block;
    position: relative;
    overflow: hidden;
    aspect-ratio: 16 / 9;
    background: var(--gc-viewer-background, #1b1d22);
    color: var(--gc-viewer-foreground, #e8eaed);
    font: 14px/1.4 system-ui, sans-serif;
  }
  :host([hidden]) {
    display: none;
  }
  .viewport {
    position: absolute;
    inset: 0;
    display: flex;
    overflow: hidden;
  }
  :host([scale='actual']) .viewport {
    overflow: auto;
  }
  .stage {
    position: relative;
    flex: none;
    /* auto margins centre the stage and still let an oversized one scroll to its left edge */
    margin: auto;
  }
  canvas.screen {
    display: block;
    width: 100%;
    height: 100%;
    outline: none;
    touch-action: none;
    cursor: var(--gc-viewer-local-cursor, default);
  }
  canvas.screen:focus-visible {
    box-shadow: 0 0 0 2px var(--gc-viewer-accent, #4c8bf5);
  }
  canvas.cursor {
    position: absolute;
    pointer-events: none;
    image-rendering: pixelated;
  }
  .status {
    position: absolute;
    inset: 0;
    display: flex;
    align-items: center;
    justify-content: center;
    padding: 1em;
    text-align: center;
    pointer-events: none;
    color: var(--gc-viewer-status-color, var(--gc-viewer-foreground, #e8eaed));
  }
  .status > span {
    max-width: 32em;
    padding: 0.6em 1em;
    border-radius: 6px;
    background: var(--gc-viewer-status-background, rgba(0, 0, 0, 0.65));
  }
  .status[data-state='ended'] > span {
    color: var(--gc-viewer-error-color, #ffb4ab);
  }
  .status[hidden] {
    display: none;
  }
  .viewport[hidden] {
    display: none;
  }
  .terminal {
    position: absolute;
    inset: 0;
    padding: 4px;
    box-sizing: border-box;
    background: var(--gc-viewer-terminal-background, #000);
  }
  .terminal[hidden] {
    display: none;
  }
  .terminal.desktop {
    top: auto;
    height: 45%;
    border-top: 1px solid rgba(255, 255, 255, 0.2);
  }
  .terminal.playback {
    top: 32px;
    overflow: auto;
  }
  .toolbar.playback {
    opacity: 1;
    align-items: center;
  }
  .toolbar .clock {
    font-size: 12px;
    font-variant-numeric: tabular-nums;
    padding: 0 4px;
  }
  .toolbar {
    position: absolute;
    z-index: 1;
    top: 0;
    left: 50%;
    transform: translateX(-50%);
    display: flex;
    gap: 4px;
    padding: 4px;
    border-radius: 0 0 6px 6px;
    background: var(--gc-viewer-toolbar-background, rgba(20, 22, 26, 0.85));
    opacity: 0.6;
    transition: opacity 0.15s;
  }
  .toolbar:hover,
  .toolbar:focus-within {
    opacity: 1;
  }
  .toolbar button,
  .toolbar select {
    font: inherit;
    font-size: 12px;
    color: inherit;
    background: var(--gc-viewer-button-background, rgba(255, 255, 255, 0.08));
    border: 1px solid rgba(255, 255, 255, 0.15);
    border-radius: 4px;
    padding: 2px 8px;
    cursor: pointer;
  }
  .toolbar button:hover {
    background: var(--gc-viewer-accent, #4c8bf5);
  }
`;
