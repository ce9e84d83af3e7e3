import type { ConnectRouter } from '@connectrpc/connect';
import { AuthService, UserService } from '@guruconnect/protocol';
import { ServerKitError, ServerKitErrorCode } from '@guruconnect/server-kit';
import { roleFromWire, ts, userToWire } from './proto-mapping.js';
import type { RpcDeps } from './rpc-context.js';
import { correlationIdOf, guarded, kRemoteAddress, operatorOf } from './rpc-context.js';

/** AuthService (sign-in, sign-out, password, TOTP) and UserService. */
export function registerAuthRpc(router: ConnectRouter, { kit }: RpcDeps): void {
  router.service(AuthService, {
    login: (req, ctx) =>
      guarded(ctx, async () => {
        const res = await kit.auth.login({
          email: req.email,
          password: req.password,
          totpCode: req.totpCode || undefined,
          remoteAddress: ctx.values.get(kRemoteAddress),
          correlationId: correlationIdOf(ctx),
        });
        return { token: res.token, expiresAt: ts(res.expiresAt), user: userToWire(res.user) };
      }),
    logout: (_req, ctx) =>
      guarded(ctx, async () => {
        await kit.auth.logout(await operatorOf(kit, ctx));
        return {};
      }),
    whoAmI: (_req, ctx) =>
      guarded(ctx, async () => ({ user: userToWire(await kit.users.me(await operatorOf(kit, ctx))) })),
    changePassword: (req, ctx) =>
      guarded(ctx, async () => {
        const res = await kit.auth.changePassword(await operatorOf(kit, ctx), {
          currentPassword: req.currentPassword,
          newPassword: req.newPassword,
        });
        return { token: res.token };
      }),
    beginTotp: (_req, ctx) => guarded(ctx, async () => kit.auth.beginTotp(await operatorOf(kit, ctx))),
    confirmTotp: (req, ctx) =>
      guarded(ctx, async () => {
        await kit.auth.confirmTotp(await operatorOf(kit, ctx), req.code);
        return {};
      }),
  });

  router.service(UserService, {
    listUsers: (_req, ctx) =>
      guarded(ctx, async () => ({
        users: (await kit.users.list(await operatorOf(kit, ctx))).map(userToWire),
      })),
    createUser: (req, ctx) =>
      guarded(ctx, async () => {
        const caller = await operatorOf(kit, ctx);
        const role = roleFromWire(req.role);
        if (!role)
          throw new ServerKitError(ServerKitErrorCode.InvalidArgument, 'Choose a role', {
            correlationId: caller.correlationId,
          });
        const user = await kit.users.create(caller, {
          email: req.email,
          displayName: req.displayName,
          role,
          password: req.password,
        });
        return { user: userToWire(user) };
      }),
    updateUser: (req, ctx) =>
      guarded(ctx, async () => {
        const caller = await operatorOf(kit, ctx);
        const user = await kit.users.update(caller, {
          userId: req.userId,
          role: roleFromWire(req.role),
          disabled: req.disabled,
          displayName: req.displayName || undefined,
        });
        return { user: userToWire(user) };
      }),
  });
}
