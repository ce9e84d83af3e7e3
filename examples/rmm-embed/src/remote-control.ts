// The integrator's whole GuruConnect integration: what runs when a technician presses
// "Remote Control" in the RMM. Kept under 40 lines on purpose — a test counts them.
import { Channel, createIntegrationClient, SessionMode } from '@guruconnect/protocol';

export interface RemoteControl {
  sessionId: string;
  /** For a <gc-viewer> on the RMM's own page. */
  token: string;
  /** GuruConnect's embed page for an iframe (it carries a token of its own: tokens are single use). */
  embedUrl: string;
}

export function createRemoteControl(gcUrl: string, integrationKey: string) {
  const gc = createIntegrationClient({ baseUrl: gcUrl, integrationKey });
  return {
    /** Once per device: the agent key to install on it (`gc-agent run --agent-key …`). */
    async provision(deviceId: string, name: string): Promise<string> {
      const { agentKey } = await gc.provisionAgentKey({ deviceId, displayName: name });
      return agentKey;
    },
    /** Per click: a session for the device and a viewer token for this technician. */
    async open(deviceId: string, technician: string, attended = false): Promise<RemoteControl> {
      const mode = attended ? SessionMode.ATTENDED : SessionMode.UNATTENDED;
      const { session } = await gc.createSession({ deviceId, mode, technicianName: technician });
      const sessionId = session?.sessionId ?? '';
      const channels = [Channel.VIEW, Channel.CONTROL, Channel.CLIPBOARD];
      const mint = () => gc.createViewerToken({ sessionId, channels, viewerName: technician });
      const [direct, embedded] = await Promise.all([mint(), mint()]);
      return { sessionId, token: direct.token, embedUrl: embedded.embedUrl };
    },
  };
}
