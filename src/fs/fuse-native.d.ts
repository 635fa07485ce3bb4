// The parts of fuse-native@2's API that timefs uses (the package ships no types).
declare module 'fuse-native' {
  /** Options passed to the binding; each becomes a `-o` option of libfuse2. */
  interface FuseOptions {
    timeout?: number | false;
    force?: boolean;
    mkdir?: boolean;
    debug?: boolean;
    allowOther?: boolean;
    defaultPermissions?: boolean;
    kernelCache?: boolean;
    autoCache?: boolean;
    attrTimeout?: number;
    entryTimeout?: number;
    maxRead?: number;
    fsname?: string;
    subtype?: string;
  }

  class Fuse {
    constructor(mountPoint: string, ops: Record<string, (...args: never[]) => void>, options?: FuseOptions);
    readonly mnt: string;
    mount(cb: (err: Error | null) => void): void;
    unmount(cb: (err: Error | null) => void): void;
    static unmount(mountPoint: string, cb: (err: Error | null) => void): void;
    static isConfigured(cb: (err: Error | null, configured: boolean) => void): void;
  }

  export = Fuse;
}
