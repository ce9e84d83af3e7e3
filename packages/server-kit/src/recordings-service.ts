import { desc, eq } from 'drizzle-orm';
import type { AuditService } from './audit-service.js';
import { encodePageToken, pageBounds } from './audit-service.js';
import { machines, recordings } from './db/schema.js';
import type { Caller, KitContext } from './kit-context.js';
import { invalid, notFound, requireRight } from './require-right.js';
import { isUuid } from './users-service.js';

export interface RecordingView {
  recordingId: string;
  sessionId: string;
  machineId: string | undefined;
  machineName: string;
  viewerId: string;
  userId: string | undefined;
  channelId: number;
  /** Name of the asciicast file inside the host's recordings directory. */
  fileName: string;
  sizeBytes: number;
  startedAt: Date;
  endedAt: Date | undefined;
}

export interface StartRecordingInput {
  sessionId: string;
  machineId?: string;
  viewerId: string;
  userId?: string;
  channelId: number;
  fileName: string;
  correlationId?: string;
}

const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/**
 * Metadata of terminal recordings; the host writes the files (asciicast v2) and reports their
 * start and end here. Reading recordings is an admin right (`recording.read`).
 */
export class RecordingsService {
  readonly #ctx: KitContext;
  readonly #audit: AuditService;

  constructor(ctx: KitContext, audit: AuditService) {
    this.#ctx = ctx;
    this.#audit = audit;
  }

  /** A recording began: one row and one audit event saying the session is being recorded. */
  async start(input: StartRecordingInput): Promise<RecordingView> {
    if (!isUuid(input.sessionId)) throw invalid(undefined, 'Invalid session id');
    if (!FILE_NAME.test(input.fileName)) throw invalid(undefined, 'Invalid recording file name');
    const [row] = await this.#ctx.db
      .insert(recordings)
      .values({
        sessionId: input.sessionId,
        machineId: input.machineId !== undefined && isUuid(input.machineId) ? input.machineId : null,
        viewerId: input.viewerId,
        userId: input.userId ?? null,
        channelId: input.channelId,
        fileName: input.fileName,
        startedAt: this.#ctx.clock.now(),
      })
      .returning();
    await this.#audit.record({
      type: 'recording.started',
      actor: 'system',
      target: row!.id,
      outcome: 'success',
      sessionId: input.sessionId,
      correlationId: input.correlationId,
      detail: { format: 'asciicast-v2', channelId: input.channelId, viewerId: input.viewerId },
    });
    return this.#view(row!, '');
  }

  /** The recording's file is complete (channel closed, session ended or server stopping). */
  async finish(recordingId: string, sizeBytes: number): Promise<void> {
    if (!isUuid(recordingId)) return;
    const [row] = await this.#ctx.db
      .update(recordings)
      .set({ sizeBytes, endedAt: this.#ctx.clock.now() })
      .where(eq(recordings.id, recordingId))
      .returning();
    if (row === undefined) return;
    await this.#audit.record({
      type: 'recording.finished',
      actor: 'system',
      target: recordingId,
      outcome: 'success',
      sessionId: row.sessionId,
      detail: { sizeBytes },
    });
  }

  async list(
    caller: Caller,
    filter: { sessionId?: string; pageSize?: number; pageToken?: string } = {},
  ): Promise<{ recordings: RecordingView[]; nextPageToken?: string }> {
    requireRight(caller, 'recording.read');
    const { limit, offset } = pageBounds(filter.pageSize, filter.pageToken);
    if (filter.sessionId !== undefined && filter.sessionId !== '' && !isUuid(filter.sessionId))
      return { recordings: [] };
    const rows = await this.#ctx.db
      .select({ row: recordings, machineName: machines.displayName, hostname: machines.hostname })
      .from(recordings)
      .leftJoin(machines, eq(machines.id, recordings.machineId))
      .where(filter.sessionId ? eq(recordings.sessionId, filter.sessionId) : undefined)
      .orderBy(desc(recordings.startedAt), desc(recordings.id))
      .limit(limit + 1)
      .offset(offset);
    const page = rows.slice(0, limit).map((r) => this.#view(r.row, r.machineName || r.hostname || ''));
    return rows.length > limit
      ? { recordings: page, nextPageToken: encodePageToken(offset + limit) }
      : { recordings: page };
  }

  async get(caller: Caller, recordingId: string): Promise<RecordingView> {
    requireRight(caller, 'recording.read');
    const [found] = isUuid(recordingId)
      ? await this.#ctx.db
          .select({ row: recordings, machineName: machines.displayName, hostname: machines.hostname })
          .from(recordings)
          .leftJoin(machines, eq(machines.id, recordings.machineId))
          .where(eq(recordings.id, recordingId))
      : [];
    if (found === undefined) throw notFound(caller, 'Recording');
    return this.#view(found.row, found.machineName || found.hostname || '');
  }

  #view(row: typeof recordings.$inferSelect, machineName: string): RecordingView {
    return {
      recordingId: row.id,
      sessionId: row.sessionId,
      machineId: row.machineId ?? undefined,
      machineName,
      viewerId: row.viewerId,
      userId: row.userId ?? undefined,
      channelId: row.channelId,
      fileName: row.fileName,
      sizeBytes: row.sizeBytes,
      startedAt: row.startedAt,
      endedAt: row.endedAt ?? undefined,
    };
  }
}
