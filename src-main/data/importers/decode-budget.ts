/**
 * Memory for images decoded ahead of the row being stored, granted in row order: row k gets its share
 * only after rows 0..k−1 have theirs, and only while the total held stays within the budget (a single
 * row larger than the budget proceeds alone). Rows are stored, and release their share, in the same
 * order, so the oldest waiting row only ever waits for rows that are being stored: no deadlock.
 */
export class OrderedBudget {
  private next = 0;
  private used = 0;
  private readonly waiting = new Map<number, { cost: number; grant: () => void }>();
  private readonly skipped = new Set<number>();

  constructor(private readonly limit: number) {}

  /** Waits for row `seq`'s turn and for `cost` bytes of the budget. */
  acquire(seq: number, cost: number): Promise<void> {
    return new Promise((grant) => {
      this.waiting.set(seq, { cost, grant });
      this.pump();
    });
  }

  /** Row `seq` will not acquire (it failed before its turn): later rows need not wait for it. */
  skip(seq: number): void {
    this.skipped.add(seq);
    this.pump();
  }

  release(cost: number): void {
    this.used -= cost;
    this.pump();
  }

  private pump(): void {
    for (;;) {
      if (this.skipped.delete(this.next)) {
        this.next++;
        continue;
      }
      const row = this.waiting.get(this.next);
      if (row === undefined || (this.used > 0 && this.used + row.cost > this.limit)) return;
      this.waiting.delete(this.next);
      this.used += row.cost;
      this.next++;
      row.grant();
    }
  }
}
