// Dash's Patch operations, as dash/_patch.py writes them, applied without mutating (patch.ts).
import {describe, expect, test} from 'vitest';

import {applyPatch, isPatch, PatchOperation} from '../../src/ts/client/patch';

const patch = (...operations: PatchOperation[]) => ({
    __dash_patch_update: '__dash_patch_update',
    operations,
});
const op = (operation: string, location: (string | number)[], params: object = {}) => ({
    operation,
    location,
    params,
});

describe('applyPatch', () => {
    test('list operations at a nested location', () => {
        const figure = {data: [{y: [1, 2]}]};
        const result = applyPatch(
            figure,
            patch(
                op('Append', ['data', 0, 'y'], {value: 3}),
                op('Extend', ['data', 0, 'y'], {value: [4, 5]}),
                op('Prepend', ['data', 0, 'y'], {value: 0}),
                op('Insert', ['data', 0, 'y'], {index: -1, value: 4.5})
            )
        );
        expect(result).toEqual({data: [{y: [0, 1, 2, 3, 4, 4.5, 5]}]});
        expect(figure).toEqual({data: [{y: [1, 2]}]}); // not mutated
    });

    test('assign, merge, delete with a negative index, arithmetic', () => {
        const value = {a: [1, 2, 3], b: {c: 1}, n: 10};
        const result = applyPatch(
            value,
            patch(
                op('Assign', ['z'], {value: 'new'}),
                op('Merge', ['b'], {value: {d: 2}}),
                op('Delete', ['a', -1]),
                op('Add', ['n'], {value: 5}),
                op('Mul', ['n'], {value: 2})
            )
        );
        expect(result).toEqual({a: [1, 2], b: {c: 1, d: 2}, n: 30, z: 'new'});
    });

    test('clear, reverse and remove', () => {
        const result = applyPatch(
            {a: [1, 2, 1, 3], b: {x: 1}},
            patch(op('Remove', ['a'], {value: 1}), op('Reverse', ['a']), op('Clear', ['b']))
        );
        expect(result).toEqual({a: [3, 2], b: {}});
    });

    test('a missing path is created as Dash creates it', () => {
        expect(applyPatch(undefined, patch(op('Assign', ['a', 'b'], {value: 1})))).toEqual({a: {b: 1}});
    });

    test('an unknown operation is an error that names it', () => {
        expect(() => applyPatch({}, patch(op('Explode', ['a'])))).toThrow(
            'unknown Patch operation "Explode"'
        );
    });

    test('isPatch knows a Patch from a plain dict', () => {
        expect(isPatch(patch())).toBe(true);
        expect(isPatch({operations: []})).toBe(false);
        expect(isPatch(null)).toBe(false);
    });
});
