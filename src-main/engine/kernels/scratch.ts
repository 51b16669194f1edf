/** A Float64Array reused across calls, grown on demand: the models' per-row buffers without per-iteration garbage. */
export class Scratch {
  private buffer = new Float64Array(0);

  /** At least `length` elements; contents are whatever the last user left. */
  get(length: number): Float64Array {
    if (this.buffer.length < length) this.buffer = new Float64Array(length);
    return this.buffer;
  }
}
