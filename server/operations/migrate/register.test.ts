// The panel's worker runs migration tasks: their types are registered by the worker's task list.
import { describe, expect, it } from 'vitest';
import type { PrismaClient } from '@/server/db/client';
import { taskList } from '@/server/operations/worker';
import { registeredTaskTypes } from '@/server/operations/tasks/registry';

describe('worker task list', () => {
  it('registers the migration task types next to the VE ones', () => {
    taskList({} as PrismaClient);
    expect(registeredTaskTypes()).toEqual(expect.arrayContaining(['ve.migrate', 've.migrated.cleanup', 've.create']));
  });
});
