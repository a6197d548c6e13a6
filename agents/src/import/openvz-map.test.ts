import { describe, expect, it } from 'vitest';
import { parseOpenvzConf } from './openvz-conf';
import { mapOpenvzConf, openvzLimit } from './openvz-map';

const MiB = 2 ** 20;

// As vzctl 4.x writes it on OpenVZ 6 with vswap (vzctl create --config vswap-512m, then set).
const OVZ6_VSWAP = `# RAM
PHYSPAGES="0:131072"

# Swap
SWAPPAGES="0:262144"

# Disk quota parameters (in form of softlimit:hardlimit)
DISKSPACE="2097152:2306867"
DISKINODES="131072:144179"
QUOTATIME="0"

# CPU fair scheduler parameter
CPUUNITS="1000"
KMEMSIZE="14372700:14790164"
LOCKEDPAGES="2048:2048"
NUMTCPSOCK="unlimited"
VE_ROOT="/vz/root/$VEID"
VE_PRIVATE="/vz/private/$VEID"
OSTEMPLATE="centos-6-x86_64"
ORIGIN_SAMPLE="vswap-512m"
IP_ADDRESS="10.199.40.7 10.199.40.8"
HOSTNAME="web7.example.com"
NAMESERVER="8.8.8.8 8.8.4.4"
ONBOOT="yes"
CPULIMIT="50"
CPUS="2"
NUMPROC="400:400"
IOPRIO="6"
FEATURES="nfs:on"
`;

// OpenVZ 6 without vswap: old-style UBC, memory from PRIVVMPAGES.
const OVZ6_UBC = `VERSION="2"
ONBOOT="no"
PHYSPAGES="0:9223372036854775807"
PRIVVMPAGES="65536:69632"
NUMPROC=240:240
SHMPAGES="21504:21504"
DISKSPACE="1G:1.1G"
VE_PRIVATE="/vz/private/$VEID"
OSTEMPLATE="debian-7.0-x86_64-minimal"
IP_ADDRESS="10.199.40.9"
NAMESERVER="inherit"
SOMETHING_NEW="x"
$(rm -rf /)
`;

// OpenVZ 7 (ploop, a UUID name).
const OVZ7 = `VERSION="2"
ONBOOT="yes"
PHYSPAGES="0:262144"
SWAPPAGES="0:0"
DISKSPACE="10485760:10485760"
VE_LAYOUT="ploop"
VE_PRIVATE="/vz/private/$VEID"
OSTEMPLATE=".centos-7-x86_64"
VEID="5d7b6c2e-1a2b-4c3d-8e9f-001122334455"
NAME="301"
HOSTNAME="vz7.example.com"
`;

describe('OpenVZ conf', () => {
  it('reads vzctl values: barrier:limit, suffixes, pages, unlimited', () => {
    expect(openvzLimit('0:131072', 4096)).toBe(131072);
    expect(openvzLimit('256M', 4096)).toBe(65536);
    expect(openvzLimit('2G:2.2G', 1024)).toBeNaN();
    expect(openvzLimit('unlimited', 1)).toBeNull();
    expect(openvzLimit('0:9223372036854775807', 4096)).toBeNull();
    expect(openvzLimit('1000P', 1)).toBe(1000 * 4096);
  });

  it('maps an OpenVZ 6 vswap VE: identity, addresses, limits in bytes, and lists what it cannot carry', () => {
    const m = mapOpenvzConf(parseOpenvzConf(OVZ6_VSWAP), 1207);
    expect(m).toMatchObject({
      ctid: 1207, hostname: 'web7.example.com', ips: ['10.199.40.7', '10.199.40.8'], nameservers: ['8.8.8.8', '8.8.4.4'], onboot: true,
      ostemplate: 'openvz-centos-6-x86_64', layout: 'simfs', privatePath: '/vz/private/1207',
      limits: { ram: 512 * MiB, swap: 1024 * MiB, diskspace: 2306867 * 1024, diskinodes: 144179, cpuunits: 1000, cpulimit: 50, cpus: 2, numproc: 400, ioprio: 6 },
    });
    const dropped = Object.fromEntries(m.notCarried.map((n) => [n.param, n.reason]));
    expect(Object.keys(dropped).sort()).toEqual(['FEATURES', 'KMEMSIZE', 'LOCKEDPAGES', 'NUMTCPSOCK', 'ORIGIN_SAMPLE', 'QUOTATIME', 'VE_ROOT']);
    expect(dropped.KMEMSIZE).toMatch(/memory cgroup/);
    // Every parameter of the file is accounted for, once.
    const seen = [...m.carried, ...m.notCarried].map((x) => x.param).sort();
    expect(seen).toEqual([...parseOpenvzConf(OVZ6_VSWAP).params.keys()].sort());
  });

  it('takes memory from PRIVVMPAGES on a UBC VE, never runs shell, and names unknown parameters', () => {
    const c = parseOpenvzConf(OVZ6_UBC);
    expect(c.unreadable).toEqual(['$(rm -rf /)']);
    const m = mapOpenvzConf(c, 1300);
    expect(m.limits).toMatchObject({ ram: 69632 * 4096, numproc: 240 });
    expect(m.limits.diskspace).toBeUndefined();
    const by = Object.fromEntries(m.notCarried.map((n) => [n.param, n.reason]));
    expect(by).toMatchObject({ NAMESERVER: expect.stringMatching(/inherit/), SOMETHING_NEW: 'not known to the importer', DISKSPACE: 'value not understood', '(line)': expect.stringMatching(/never run/) });
    expect(m.nameservers).toEqual([]);
    expect(m.onboot).toBe(false);
  });

  it('sees an OpenVZ 7 ploop VE with a UUID id: no ctid of its own, ploop layout, a clean template label', () => {
    const m = mapOpenvzConf(parseOpenvzConf(OVZ7), undefined);
    expect(m.ctid).toBeUndefined();
    expect(m).toMatchObject({ layout: 'ploop', ostemplate: 'openvz-centos-7-x86_64', limits: { ram: 1024 * MiB, swap: 0, diskspace: 10 * 1024 * MiB } });
  });
});
