// What every runtime operation needs to know about the node it runs on.
export interface Runtime {
  vzroot: string;
  /** Bridge the VEs' veths join (brief default vzbr0). */
  bridge: string;
  /** Networks VE addresses must lie in (e.g. the panel's pools); empty = any. */
  networks?: string[];
  progress?(pct: number, message?: string): void;
  log?(line: string): void;
}
