/**
 * Unique visitors, mergeable: exact (a set of 64-bit hashes) up to EXACT_LIMIT distinct
 * visitors, then a HyperLogLog sketch of 2^14 registers (about 0.8 % standard error).
 * Two sketches merge into the sketch of the union, so partials from different partitions
 * or aggregator instances give correct unique counts together.
 */

export type VisitorSketchJson = { kind: 'exact'; hashes: string[] } | { kind: 'hll'; p: number; registers: string };

const P = 14;
const M = 1 << P;
const ALPHA = 0.7213 / (1 + 1.079 / M);

/** MurmurHash3 x86_32 of UTF-8 bytes. */
function murmur3(bytes: Uint8Array, seed: number): number {
  let h = seed >>> 0;
  const n = bytes.length;
  const blocks = n & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = n & 3;
  if (tail > 0) {
    let k = 0;
    if (tail === 3) k ^= bytes[blocks + 2]! << 16;
    if (tail >= 2) k ^= bytes[blocks + 1]! << 8;
    k ^= bytes[blocks]!;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const SEED_HI = 0x9747b28c;
const SEED_LO = 0x5bd1e995;
const encoder = new TextEncoder();
const hex8 = (n: number): string => n.toString(16).padStart(8, '0');
const toHex = (hi: number, lo: number): string => hex8(hi) + hex8(lo);

/** Reused UTF-8 scratch buffer (a UTF-16 code unit encodes to at most 3 bytes), so add() does not allocate. */
let scratch = new Uint8Array(256);
/** The two 32-bit halves of the last hashed id (module-level to avoid a tuple allocation per add). */
let hashHi = 0;
let hashLo = 0;

function hashInto(visitorId: string): void {
  if (scratch.length < visitorId.length * 3) scratch = new Uint8Array(visitorId.length * 3);
  const { written } = encoder.encodeInto(visitorId, scratch);
  const bytes = scratch.subarray(0, written);
  hashHi = murmur3(bytes, SEED_HI);
  hashLo = murmur3(bytes, SEED_LO);
}

/** Number of leading zeros of a 32-bit value, 32 for 0. */
const clz = (x: number): number => Math.clz32(x);

export class VisitorSketch {
  static readonly EXACT_LIMIT = 1000;
  static readonly PRECISION = P;

  private hashes: Set<string> | undefined = new Set();
  private registers: Uint8Array | undefined;

  static empty(): VisitorSketch {
    return new VisitorSketch();
  }

  static union(sketches: Iterable<VisitorSketch>): VisitorSketch {
    const out = new VisitorSketch();
    for (const s of sketches) out.mergeFrom(s);
    return out;
  }

  get exact(): boolean {
    return this.hashes !== undefined;
  }

  add(visitorId: string): void {
    hashInto(visitorId);
    if (this.registers) insert(this.registers, hashHi, hashLo);
    else this.addHash(toHex(hashHi, hashLo));
  }

  mergeFrom(other: VisitorSketch): void {
    if (other === this) return;
    if (other.hashes) {
      for (const h of other.hashes) this.addHash(h);
      return;
    }
    const regs = this.toHll();
    const theirs = other.registers!;
    for (let i = 0; i < M; i++) if (theirs[i]! > regs[i]!) regs[i] = theirs[i]!;
  }

  count(): number {
    if (this.hashes) return this.hashes.size;
    const regs = this.registers!;
    let sum = 0;
    let zeros = 0;
    for (let i = 0; i < M; i++) {
      sum += 2 ** -regs[i]!;
      if (regs[i] === 0) zeros++;
    }
    const raw = (ALPHA * M * M) / sum;
    if (raw <= 2.5 * M && zeros > 0) return Math.round(M * Math.log(M / zeros));
    return Math.round(raw);
  }

  clone(): VisitorSketch {
    const c = new VisitorSketch();
    c.hashes = this.hashes ? new Set(this.hashes) : undefined;
    c.registers = this.registers ? this.registers.slice() : undefined;
    return c;
  }

  toJSON(): VisitorSketchJson {
    if (this.hashes) return { kind: 'exact', hashes: [...this.hashes].sort() };
    return { kind: 'hll', p: P, registers: Buffer.from(this.registers!).toString('base64') };
  }

  static fromJSON(json: unknown): VisitorSketch {
    const j = json as Partial<{ kind: string; hashes: unknown; p: unknown; registers: unknown }> | null;
    const s = new VisitorSketch();
    if (j?.kind === 'exact') {
      if (!Array.isArray(j.hashes)) throw new RangeError('visitor sketch: hashes must be an array');
      for (const h of j.hashes) {
        if (typeof h !== 'string' || !/^[0-9a-f]{16}$/.test(h)) throw new RangeError(`visitor sketch: hash ${JSON.stringify(h)} is not 16 hex digits`);
        s.addHash(h);
      }
      return s;
    }
    if (j?.kind === 'hll') {
      if (j.p !== P) throw new RangeError(`visitor sketch: precision must be ${P}, got ${String(j.p)}`);
      if (typeof j.registers !== 'string') throw new RangeError('visitor sketch: registers must be base64');
      const regs = new Uint8Array(Buffer.from(j.registers, 'base64'));
      if (regs.length !== M) throw new RangeError(`visitor sketch: expected ${M} registers, got ${regs.length}`);
      s.hashes = undefined;
      s.registers = regs;
      return s;
    }
    throw new RangeError(`visitor sketch: unknown kind ${JSON.stringify(j?.kind)}`);
  }

  private addHash(hash: string): void {
    if (this.hashes) {
      this.hashes.add(hash);
      if (this.hashes.size > VisitorSketch.EXACT_LIMIT) this.toHll();
      return;
    }
    this.insert(this.registers!, hash);
  }

  /** Switches to (or returns) the registers, inserting the exact hashes. */
  private toHll(): Uint8Array {
    if (!this.registers) {
      const regs = new Uint8Array(M);
      for (const h of this.hashes ?? []) this.insert(regs, h);
      this.registers = regs;
      this.hashes = undefined;
    }
    return this.registers;
  }

  private insert(regs: Uint8Array, hash: string): void {
    insert(regs, parseInt(hash.slice(0, 8), 16), parseInt(hash.slice(8), 16));
  }
}

/** HLL insert of the 64-bit hash (hi, lo): index = top P bits, rank = 1 + leading zeros of the other 64 - P bits (max 64 - P + 1). */
function insert(regs: Uint8Array, hi: number, lo: number): void {
  const index = hi >>> (32 - P);
  // the 64 - P bits after the index: the rest of `hi`, then `lo`
  const restHi = (hi << P) >>> 0;
  const rank = restHi !== 0 ? clz(restHi) + 1 : 32 - P + (lo !== 0 ? clz(lo) : 32) + 1;
  if (rank > regs[index]!) regs[index] = rank;
}
