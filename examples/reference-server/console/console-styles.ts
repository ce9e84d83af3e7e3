import { css } from 'lit';

/** Styles shared by every console view. Colours are CSS custom properties on :root. */
export const sharedStyles = css`
  :host { display: block; color: var(--gc-fg); font: 14px/1.45 system-ui, sans-serif; }
  h1 { font-size: 20px; margin: 0 0 16px; font-weight: 600; }
  h2 { font-size: 16px; margin: 24px 0 8px; font-weight: 600; }
  table { width: 100%; border-collapse: collapse; background: var(--gc-surface); border-radius: 8px; overflow: hidden; }
  th, td { text-align: left; padding: 8px 10px; border-bottom: 1px solid var(--gc-border); vertical-align: top; }
  th { font-weight: 600; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--gc-muted); }
  tr:last-child td { border-bottom: none; }
  button, .button {
    font: inherit; border: 1px solid var(--gc-border); background: var(--gc-surface); color: var(--gc-fg);
    padding: 6px 12px; border-radius: 6px; cursor: pointer; text-decoration: none; display: inline-block;
  }
  button.primary { background: var(--gc-accent); border-color: var(--gc-accent); color: white; }
  button.danger { color: var(--gc-danger); }
  button:disabled { opacity: .5; cursor: default; }
  input, select { font: inherit; padding: 6px 8px; border: 1px solid var(--gc-border); border-radius: 6px; background: var(--gc-surface); color: var(--gc-fg); }
  .row { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; margin-bottom: 12px; }
  .grow { flex: 1; }
  .muted { color: var(--gc-muted); }
  .error { color: var(--gc-danger); margin: 8px 0; }
  .notice { background: var(--gc-notice); border: 1px solid var(--gc-border); padding: 10px 12px; border-radius: 6px; margin: 8px 0; }
  .secret { font-family: ui-monospace, monospace; user-select: all; word-break: break-all; }
  .pill { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; border: 1px solid var(--gc-border); }
  .online { background: #dcfce7; color: #166534; border-color: #bbf7d0; }
  .offline { background: #f3f4f6; color: #4b5563; }
  .warn { background: #fef3c7; color: #92400e; border-color: #fde68a; }
  .live { background: #dbeafe; color: #1e40af; border-color: #bfdbfe; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; background: var(--gc-surface); padding: 12px; border-radius: 8px; }
  dt { color: var(--gc-muted); }
  dd { margin: 0; }
  code { font-family: ui-monospace, monospace; }
`;
