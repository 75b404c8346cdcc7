/**
 * The benchmark judges each engine figure on the median of repeated runs
 * (bench/engine.ts, bench/spread.ts): the median, range and samples it prints.
 */
import { describe, expect, it } from 'vitest';
import { medianOf, spreadNote, spreadOf } from '../../bench/spread.ts';

describe('spreadOf', () => {
  it('takes the middle sample of an odd count, and keeps the samples in run order', () => {
    expect(spreadOf([8.2, 7.4, 7.9])).toEqual({ median: 7.9, min: 7.4, max: 8.2, samples: [8.2, 7.4, 7.9] });
  });

  it('averages the two middle samples of an even count', () => {
    expect(spreadOf([12, 10, 11, 9]).median).toBe(10.5);
  });

  it('a single sample is its own median and range', () => {
    expect(spreadOf([9.6])).toEqual({ median: 9.6, min: 9.6, max: 9.6, samples: [9.6] });
  });

  it('refuses no samples', () => {
    expect(() => spreadOf([])).toThrow(/no samples/);
  });
});

describe('medianOf', () => {
  it('picks the run whose figure is the median, to print its details', () => {
    const runs = [{ id: 'a', rate: 8.2 }, { id: 'b', rate: 7.4 }, { id: 'c', rate: 7.9 }];
    expect(medianOf(runs, (r) => r.rate).id).toBe('c');
  });
});

describe('spreadNote', () => {
  it('prints the count and range beside a median of several runs, and nothing beside one', () => {
    expect(spreadNote(spreadOf([9.56, 10.18, 9.77]), 2, ' s')).toBe(' (median of 3; 9.56–10.18 s)');
    expect(spreadNote(spreadOf([8.2]), 2)).toBe('');
  });
});
