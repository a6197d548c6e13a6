import { describe, expect, it } from 'vitest';
import { redactSecrets } from '@/agents/protocol';
import { Undo } from '../sys/undo';

describe('Undo', () => {
  it('unwinds newest-first, keeps going past a failing step and reports it', async () => {
    const done: string[] = [];
    const u = new Undo();
    u.push('create image', () => void done.push('image'));
    u.push('losetup', () => {
      throw new Error('device busy');
    });
    u.push('mount', async () => void done.push('mount'));
    const failures = await u.unwind();
    expect(done).toEqual(['mount', 'image']);
    expect(failures).toEqual([{ step: 'losetup', error: 'device busy' }]);
    expect(u.size).toBe(0);
  });

  it('commit() forgets the steps so a successful operation is kept', async () => {
    const u = new Undo();
    let undone = false;
    u.push('x', () => void (undone = true));
    u.commit();
    expect(await u.unwind()).toEqual([]);
    expect(undone).toBe(false);
  });
});

describe('Undo.atomic', () => {
  it('undoes a failed step at once and keeps a successful step for the caller', async () => {
    const done: string[] = [];
    const u = new Undo();
    await expect(u.atomic(async (s) => {
      s.push('attach', () => void done.push('detach'));
      throw new Error('mount failed');
    })).rejects.toThrow('mount failed');
    expect(done).toEqual(['detach']);
    expect(u.size).toBe(0);
    expect(await u.atomic(async (s) => { s.push('mount', () => void done.push('umount')); return 7; })).toBe(7);
    expect(u.size).toBe(1);
    await u.unwind();
    expect(done).toEqual(['detach', 'umount']);
  });
});

describe('redactSecrets', () => {
  it('hides password/secret/key/token fields at any depth and keeps the rest', () => {
    const out = redactSecrets({ ctid: 101, rootPassword: 'p', nested: { sshKey: 'k', apiToken: 't', list: [{ secret: 's', ok: 1 }] } });
    expect(out).toEqual({ ctid: 101, rootPassword: '[redacted]', nested: { sshKey: '[redacted]', apiToken: '[redacted]', list: [{ secret: '[redacted]', ok: 1 }] } });
  });
});
