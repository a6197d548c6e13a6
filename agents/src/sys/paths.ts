// Where a VE's pieces live under <vzroot> (brief: Agent process layout).
import path from 'node:path';

export interface VePaths {
  private: string;
  image: string;
  root: string;
  conf: string;
  lxcDir: string;
  lxcConfig: string;
  lxcpath: string;
}

export function vePaths(vzroot: string, ctid: number): VePaths {
  const id = String(ctid);
  const lxcpath = path.join(vzroot, 'lxc');
  return {
    private: path.join(vzroot, 'private', id),
    image: path.join(vzroot, 'private', id, 'root.img'),
    root: path.join(vzroot, 'root', id),
    conf: path.join(vzroot, 'conf', `${id}.conf`),
    lxcDir: path.join(lxcpath, id),
    lxcConfig: path.join(lxcpath, id, 'config'),
    lxcpath,
  };
}

/** The node's post-stop hook that every VE's LXC config names (lxc/stop-hook.ts writes it). */
export const veStopHookPath = (vzroot: string): string => path.join(vzroot, 'hooks', 've-stopped');
