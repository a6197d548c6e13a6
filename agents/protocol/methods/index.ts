import { backupMethods } from './backup';
import { bulkMethods } from './bulk';
import { consoleMethods } from './console';
import { coreMethods } from './core';
import { importMethods } from './import';
import { migrateMethods } from './migrate';
import { testMethods } from './test';
import { usageMethods } from './usage';
import { trafficMethods } from './traffic';
import { veMethods } from './ve';
import { sshKeyMethods } from './sshkeys';
import { templateRecipeMethods } from './template-recipes';
import { templateReceiveMethods } from './template-receive';

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
  ...importMethods,
  ...sshKeyMethods,
  ...usageMethods,
  ...trafficMethods,
  ...backupMethods,
  ...templateRecipeMethods,
  ...templateReceiveMethods,
};
