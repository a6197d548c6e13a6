import { backupMethods } from './backup';
import { bulkMethods } from './bulk';
import { consoleMethods } from './console';
import { coreMethods } from './core';
import { migrateMethods } from './migrate';
import { testMethods } from './test';
import { veMethods } from './ve';

/**
 * The method table: name -> {params, result, mutating}. Each domain keeps its methods in
 * its own file (methods/<domain>.ts exporting `<domain>Methods`) and adds one spread here.
 */
export const methods = {
  ...coreMethods,
  ...testMethods,
  ...veMethods,
  ...migrateMethods,
  ...bulkMethods,
  ...consoleMethods,
  ...backupMethods,
};
