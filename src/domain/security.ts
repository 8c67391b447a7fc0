/**
 * The capabilities of Kubernetes' "baseline" Pod Security Standard, which every runtime adds back
 * after dropping all: the container runtimes' defaults without NET_RAW, which lets a process forge
 * packets (ARP and DNS spoofing of the project's other pods).
 */
export const BASELINE_CAPABILITIES = [
  'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD',
  'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT',
];
