import type { ConnectRouter } from '@connectrpc/connect';
import { EnrollmentService } from '@guruconnect/protocol';
import type { RpcDeps } from './rpc-context.js';
import { correlationIdOf, guarded, kRemoteAddress } from './rpc-context.js';

/** EnrollmentService: the agent trades a site enrollment key for its own agent key. */
export function registerAgentRpc(router: ConnectRouter, { kit }: RpcDeps): void {
  router.service(EnrollmentService, {
    enroll: (req, ctx) =>
      guarded(ctx, async () => {
        const res = await kit.enrollment.enroll({
          enrollmentKey: req.enrollmentKey,
          machineUid: req.machineUid,
          hostname: req.hostname,
          osName: req.osName || undefined,
          agentVersion: req.agentVersion || undefined,
          remoteAddress: ctx.values.get(kRemoteAddress),
          correlationId: correlationIdOf(ctx),
        });
        return { agentKey: res.agentKey, machineId: res.machineId, site: res.site, company: res.company };
      }),
  });
}
