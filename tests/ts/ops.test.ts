// How one update changes a prop, and how consecutive updates of one prop fold (ops.ts).
import {describe, expect, test} from 'vitest';

import {applyOp, combineIncrements, enqueue, OpName, Pending} from '../../src/ts/client/ops';

const patch = (...operations: object[]) => ({__dash_patch_update: '__dash_patch_update', operations});
const assign = (location: (string | number)[], value: unknown) =>
    ({operation: 'Assign', location, params: {value}});

/** The value after applying `updates` one by one, as a page with no folding would. */
function oneByOne(start: unknown, updates: Pending[]): unknown {
    return updates.reduce((value, {op, value: operand}) => applyOp(value, op, operand), start);
}

/** The value after folding `updates` into a pending list first, as the applier does. */
function folded(prop: string, start: unknown, updates: Pending[]): {value: unknown; entries: number} {
    const pending: Pending[] = [];
    updates.forEach(update => enqueue(prop, pending, update));
    return {value: oneByOne(start, pending), entries: pending.length};
}

describe('applyOp', () => {
    test('set replaces, append concatenates text and lists, merge merges dicts', () => {
        expect(applyOp('old', 'set', 'new')).toBe('new');
        expect(applyOp('ab', 'append', 'c')).toBe('abc');
        expect(applyOp(null, 'append', 'c')).toBe('c');
        expect(applyOp([1], 'append', [2, 3])).toEqual([1, 2, 3]);
        expect(applyOp(undefined, 'append', [2])).toEqual([2]);
        expect(applyOp({color: 'red', width: 1}, 'merge', {width: 2})).toEqual({color: 'red', width: 2});
    });

    test('a Patch given to set is applied to the current value', () => {
        expect(applyOp({a: 1}, 'set', patch(assign(['b'], 2)))).toEqual({a: 1, b: 2});
    });

    test('an unknown operation is an error that names it', () => {
        expect(() => applyOp(1, 'double' as OpName, 2)).toThrow('unknown update operation "double"');
    });
});

describe('enqueue folds a prop\'s updates into as few as give the same value', () => {
    const cases: [string, unknown, Pending[]][] = [
        ['appends of text', 'x', [{op: 'append', value: 'a'}, {op: 'append', value: 'b'}]],
        ['a set, then appends', 'x', [{op: 'set', value: ''}, {op: 'append', value: 'a'}, {op: 'append', value: 'b'}]],
        ['merges', {a: 1}, [{op: 'merge', value: {b: 2}}, {op: 'merge', value: {a: 3}}]],
        ['patches', {n: [1]}, [{op: 'patch', value: patch(assign(['m'], 1))}, {op: 'patch', value: patch(assign(['n', 0], 9))}]],
        ['appends, then a set', 'x', [{op: 'append', value: 'a'}, {op: 'set', value: 'z'}]],
    ];
    test.each(cases)('%s', (_name, start, updates) => {
        const {value, entries} = folded('children', start, updates);
        expect(value).toEqual(oneByOne(start, updates));
        expect(entries).toBe(1);
    });

    test('text then a list cannot fold, and the value is still the same', () => {
        const updates: Pending[] = [{op: 'append', value: 'a'}, {op: 'append', value: ['b']}];
        const {value, entries} = folded('children', [], updates);
        expect(value).toEqual(oneByOne([], updates));
        expect(entries).toBe(2);
    });
});

describe('increments of incremental props are all kept', () => {
    test('two extendData of the same traces combine into one, points in order', () => {
        const first = [{x: [[1], [10]], y: [[2], [20]]}, [0, 1]];
        const second = [{x: [[3], [30]], y: [[4], [40]]}, [0, 1]];
        expect(combineIncrements('extendData', first, second)).toEqual([
            {x: [[1, 3], [10, 30]], y: [[2, 4], [20, 40]]},
            [0, 1],
        ]);
    });

    test('prependData puts the later increment in front', () => {
        const first = [{y: [[2]]}];
        const second = [{y: [[1]]}];
        expect(combineIncrements('prependData', first, second)).toEqual([{y: [[1, 2]]}]);
    });

    test('increments for other traces or maxPoints stay apart', () => {
        expect(combineIncrements('extendData', [{y: [[1]]}, [0]], [{y: [[2]]}, [1]])).toBeUndefined();
        expect(combineIncrements('extendData', [{y: [[1]]}, [0], 5], [{y: [[2]]}, [0], 6])).toBeUndefined();
        const pending: Pending[] = [];
        enqueue('extendData', pending, {op: 'set', value: [{y: [[1]]}, [0]]});
        enqueue('extendData', pending, {op: 'set', value: [{y: [[2]]}, [1]]});
        expect(pending).toHaveLength(2);
    });

    test('rowTransactions combine only when both only add rows', () => {
        expect(combineIncrements('rowTransaction', {add: [{a: 1}]}, {add: [{a: 2}]})).toEqual({
            add: [{a: 1}, {a: 2}],
        });
        expect(combineIncrements('rowTransaction', {add: [{a: 1}]}, {remove: [{a: 1}]})).toBeUndefined();
    });
});
