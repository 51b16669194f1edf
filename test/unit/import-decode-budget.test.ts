/**
 * Invariant under test: the decode budget of the image-folder importer grants rows in row order,
 * never holds more than its limit except for one row alone, and lets later rows pass a row that
 * failed before its turn.
 */
import { describe, expect, it } from 'vitest';
import { OrderedBudget } from '../../src-main/data/importers/decode-budget';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('OrderedBudget', () => {
  it('grants in row order within the limit; an oversized row proceeds alone; a skipped row is passed over', async () => {
    const budget = new OrderedBudget(100);
    const granted: number[] = [];
    const ask = (seq: number, cost: number): void => void budget.acquire(seq, cost).then(() => granted.push(seq));
    ask(1, 60); // asks before row 0: must wait for it
    await tick();
    expect(granted).toEqual([]);
    ask(0, 50);
    await tick();
    expect(granted).toEqual([0]); // 50 + 60 > 100: row 1 waits
    budget.release(50);
    await tick();
    expect(granted).toEqual([0, 1]);
    ask(3, 10);
    budget.skip(2);
    await tick();
    expect(granted).toEqual([0, 1, 3]);
    ask(4, 500); // larger than the whole budget: waits until nothing is held, then goes alone
    await tick();
    expect(granted).toEqual([0, 1, 3]);
    budget.release(60);
    budget.release(10);
    await tick();
    expect(granted).toEqual([0, 1, 3, 4]);
  });
});
