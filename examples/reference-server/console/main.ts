// Entry of the console bundle (built by build-assets.mjs into dist/public/console.js).
import { defineGcViewer } from '@guruconnect/viewer-element';
import { AccountView } from './account-view.js';
import { AuditView } from './audit-view.js';
import { GcConsole } from './gc-console.js';
import { KeysView } from './keys-view.js';
import { LoginView } from './login-view.js';
import { MachineDetailView } from './machine-detail-view.js';
import { MachinesView } from './machines-view.js';
import { RecordingsView } from './recordings-view.js';
import { SessionView } from './session-view.js';
import { SessionsView } from './sessions-view.js';
import { UsersView } from './users-view.js';

defineGcViewer();
const elements: [string, CustomElementConstructor][] = [
  ['gc-console', GcConsole],
  ['gc-login-view', LoginView],
  ['gc-machines-view', MachinesView],
  ['gc-machine-detail-view', MachineDetailView],
  ['gc-sessions-view', SessionsView],
  ['gc-session-view', SessionView],
  ['gc-users-view', UsersView],
  ['gc-keys-view', KeysView],
  ['gc-audit-view', AuditView],
  ['gc-recordings-view', RecordingsView],
  ['gc-account-view', AccountView],
];
for (const [name, ctor] of elements) if (!customElements.get(name)) customElements.define(name, ctor);
