import { z } from 'zod';
import { BulkAction, BulkSelector } from '@/server/services/bulk/schemas';

export const JobIdInput = z.object({ id: z.string().min(1).max(64) });
export const PreviewInput = z.object({ selector: BulkSelector, action: BulkAction.optional(), limit: z.number().int().min(1).max(10_000).default(1000) });
export const JobRefOutput = z.object({ jobId: z.string(), taskId: z.string().describe('The bulk.run task; follow it for progress and log'), total: z.number().int() });
export const ItemStatus = z.enum(['queued', 'running', 'succeeded', 'failed', 'skipped', 'cancelled']);
