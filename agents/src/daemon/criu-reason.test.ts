// The CRIU reason the admin sees names the actual cause, not CRIU's generic wrapper lines.
import { describe, expect, it } from 'vitest';
import { criuReason } from './probe';

const DEBIAN_12_ON_6_13 = `Error (criu/util.c:642): exited, status=1
Error (criu/util.c:642): exited, status=1
Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds
Error (criu/vdso.c:613): vdso: Failed to fill self vdso symtable
Error (criu/kerndat.c:1615): kerndat_vdso_fill_symtable failed when initializing kerndat.
Error (criu/crtools.c:260): Could not initialize kernel features detection.
`;

describe('criuReason', () => {
  it('reports the last specific error line with the first cause, not the generic wrapper', () => {
    expect(criuReason(DEBIAN_12_ON_6_13, 1)).toBe('kerndat_vdso_fill_symtable failed when initializing kerndat. (vdso: Unexpected rt vDSO area bounds)');
  });

  it('falls back to the last error line, then the last line, then the exit code', () => {
    expect(criuReason('Error (criu/util.c:642): exited, status=1\n', 1)).toBe('exited, status=1');
    expect(criuReason('Warn: something odd\n', 3)).toBe('Warn: something odd');
    expect(criuReason('', 4)).toBe('criu check exited 4');
  });

  it('keeps a single specific error as it is', () => {
    expect(criuReason('Error (criu/cr-check.c:1): CONFIG_CHECKPOINT_RESTORE is not set\n', 1)).toBe('CONFIG_CHECKPOINT_RESTORE is not set');
  });
});
