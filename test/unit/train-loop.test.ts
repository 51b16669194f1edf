// Invariant: the batch loop both CNN trainers share visits every selected row once per epoch in batches of
// batchSize (the last one short), in the given order without shuffle and in a seeded permutation with it;
// it reports every batch and summarises every epoch with batch-size-weighted means; it stops with a
// CancelledError before the next batch once aborted; a non-finite loss throws and its step is not committed.
import { describe, expect, it } from 'vitest';
import { CancelledError } from '../../src-main/deep/cancel';
import type { BatchProgress } from '../../src-main/deep/train';
import { epochOrder, runBatches, type BatchSlice } from '../../src-main/deep/train-loop';

const rows = Int32Array.from({ length: 10 }, (_, i) => 100 + i);

describe('runBatches', () => {
  it('batches the rows in order without shuffle, weights the epoch means by batch size', async () => {
    const seen: number[][] = [];
    const progress: BatchProgress[] = [];
    const result = await runBatches(rows, { epochs: 2, batchSize: 4, learningRate: 1, seed: 0, shuffle: false, onBatch: (p) => progress.push(p) }, 'test', async ({ order, from, count }: BatchSlice) => {
      seen.push(Array.from(order.subarray(from, from + count)));
      // Loss = the batch's size, so the weighted mean is (4·4 + 4·4 + 2·2) / 10 = 3.6.
      return { loss: count, correct: 1 };
    });
    expect(seen.slice(0, 3)).toEqual([[100, 101, 102, 103], [104, 105, 106, 107], [108, 109]]);
    expect(seen.slice(3)).toEqual(seen.slice(0, 3));
    expect(result.batches).toBe(6);
    expect(result.images).toBe(20);
    expect(result.epochs.map((e) => [e.epoch, e.meanLoss, e.accuracy])).toEqual([[0, 3.6, 0.3], [1, 3.6, 0.3]]);
    expect(progress.map((p) => [p.epoch, p.batch, p.batchesPerEpoch, p.loss, p.accuracy])[2]).toEqual([0, 2, 3, 2, 0.5]);
  });

  it("shuffles each epoch with the seed's own stream", async () => {
    const orders: Int32Array[] = [];
    await runBatches(rows, { epochs: 2, batchSize: 10, learningRate: 1, seed: 7 }, 'test', async ({ order }) => {
      orders.push(order);
      return { loss: 0, correct: 0 };
    });
    expect(orders[0]).toEqual(epochOrder(rows, 7, 0));
    expect(orders[1]).toEqual(epochOrder(rows, 7, 1));
    expect(Array.from(orders[0])).not.toEqual(Array.from(rows));
    expect(Array.from(orders[0]).sort()).toEqual(Array.from(rows));
  });

  it('stops before the next batch once aborted', async () => {
    const controller = new AbortController();
    let steps = 0;
    const run = runBatches(rows, { epochs: 3, batchSize: 2, learningRate: 1, seed: 0, signal: controller.signal }, 'test', async () => {
      if (++steps === 2) controller.abort();
      return { loss: 1, correct: 0 };
    });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    await expect(run).rejects.toThrow('training cancelled at epoch 1, batch 3');
    expect(steps).toBe(2);
  });

  it('throws on a non-finite loss without committing that step', async () => {
    const commits: number[] = [];
    let step = 0;
    const run = runBatches(rows, { epochs: 1, batchSize: 2, learningRate: 1, seed: 0 }, 'trainer X', async () => {
      const mine = ++step;
      return { loss: mine === 3 ? Number.NaN : 1, correct: 0, commit: () => commits.push(mine) };
    });
    await expect(run).rejects.toThrow('trainer X: the loss became NaN at epoch 1, batch 3 (learning rate too high?)');
    expect(commits).toEqual([1, 2]);
  });
});
