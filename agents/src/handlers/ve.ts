// The VE runtime's handlers (issue 3), listed once for handlers/index.ts.
import type { AnyHandler } from '../daemon/types';
import { templateBuild, templateImport, templateList, templateRecipes } from './template';
import { veCreate } from './ve-create';
import { veDestroy } from './ve-destroy';
import { veExec } from './ve-exec';
import { veMount, veUmount } from './ve-mount';
import { veReinstall } from './ve-reinstall';
import { veRestart } from './ve-restart';
import { veSet } from './ve-set';
import { veStart } from './ve-start';
import { veList, veStatusHandler, veUbcHandler } from './ve-status';
import { veStop } from './ve-stop';
import { veResume, veSuspend } from './ve-suspend';

export const veHandlers: AnyHandler[] = [
  veCreate, veStart, veStop, veRestart, veSuspend, veResume, veStatusHandler, veList, veDestroy,
  veMount, veUmount, veReinstall, veExec, veSet, veUbcHandler, templateList, templateImport, templateBuild, templateRecipes,
];
