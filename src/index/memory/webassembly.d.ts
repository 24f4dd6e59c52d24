/**
 * The part of the WebAssembly JS API the vector arena uses. Node 20 has it at run time, but this
 * project's type libraries (ES2023, @types/node 20) do not declare it.
 */
declare namespace WebAssembly {
  interface MemoryDescriptor {
    initial: number;
    maximum?: number;
    /** A memory other threads can share (its buffer is a SharedArrayBuffer; needs `maximum`). */
    shared?: boolean;
  }
  class Memory {
    constructor(descriptor: MemoryDescriptor);
    readonly buffer: ArrayBuffer | SharedArrayBuffer;
    grow(delta: number): number;
  }
  class Module {
    private constructor();
  }
  interface Instance {
    readonly exports: Record<string, unknown>;
  }
  function compile(bytes: Uint8Array): Promise<Module>;
  function instantiate(module: Module, imports?: Record<string, Record<string, unknown>>): Promise<Instance>;
}
