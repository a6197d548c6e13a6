import { describe, expect, it } from 'vitest';
import { missingKernelFeatures, osProblem } from './preflight';

const DEBIAN_12 = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n';
const CGROUPS_OK = '#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpu\t1\t16\t1\nmemory\t4\t128\t1\npids\t8\t16\t1\n';

describe('node preflight', () => {
  it('accepts Debian 12 and Ubuntu 24.04, refuses others in plain words naming what was found', () => {
    expect(osProblem(DEBIAN_12)).toBeNull();
    expect(osProblem('ID=ubuntu\nVERSION_ID="24.04"\nPRETTY_NAME="Ubuntu 24.04 LTS"\n')).toBeNull();
    expect(osProblem('ID=debian\nVERSION_ID="10"\nPRETTY_NAME="Debian GNU/Linux 10 (buster)"\n')).toBe('unsupported OS: Debian GNU/Linux 10 (buster) is too old (needs Debian 11 or newer)');
    expect(osProblem('ID="centos"\nVERSION_ID="7"\nPRETTY_NAME="CentOS Linux 7 (Core)"\n')).toMatch(/^unsupported OS: CentOS Linux 7 \(Core\) \(the panel installs nodes on Debian 11\+ or Ubuntu 22.04\+\)$/);
    expect(osProblem(undefined)).toMatch(/os-release is missing/);
  });

  it('names each missing kernel feature: a disabled memory controller, no pids controller, no user namespaces', () => {
    expect(missingKernelFeatures({ cgroups: CGROUPS_OK, maxUserNamespaces: '96367\n' })).toEqual([]);
    const bad = missingKernelFeatures({ cgroups: CGROUPS_OK.replace('memory\t4\t128\t1', 'memory\t0\t1\t0').replace(/pids.*\n/, ''), maxUserNamespaces: '0\n' });
    expect(bad).toEqual(['cgroup controller "memory" (VE RAM limits)', 'cgroup controller "pids" (VE process limits)', 'user namespaces (each VE runs unprivileged in its own uid range)']);
    expect(missingKernelFeatures({ cgroups: CGROUPS_OK, maxUserNamespaces: undefined })).toHaveLength(1);
  });
});
