/**
 * Prop update operations and how consecutive ones combine.
 *
 * On the wire an update is `[id, prop, op, value]` (dash_live/core/updates.py documents the frame):
 * - `set`: the prop becomes `value` (a Dash `Patch` value is applied to the current value);
 * - `append`: `value` (a string or a list) is concatenated to the current string or list;
 * - `merge`: the keys of `value` are merged into the current dict;
 * - `patch`: `value` is a Dash `Patch`.
 *
 * Updates to one prop that arrive before the next frame are folded into one, so a fast producer
 * costs one render per frame, not one per update. Incremental props are the exception: a value
 * of `extendData` or `rowTransaction` is an increment the component consumes, so two of them are
 * only combined when the result is provably the same (see `combineIncrements`), and otherwise
 * applied in successive frames: every increment is kept.
 */
import {applyPatch, isPatch, PatchValue} from './patch';
import {INCREMENTAL_PROPS, OpName} from './wire';

export type Pending = {op: OpName; value: unknown};

// INCREMENTAL_PROPS: props whose every value is an increment the component consumes (never
// "last wins"); OpName: the update operations. Both are wire names (dash_live/core/wire.py).
export {INCREMENTAL_PROPS};
export type {OpName};

function concat(base: unknown, tail: unknown): unknown {
    if (Array.isArray(tail)) {
        return [...(Array.isArray(base) ? base : base == null ? [] : [base]), ...tail];
    }
    return (base == null ? '' : String(base)) + String(tail);
}

function asPatch(value: unknown): PatchValue {
    return value as PatchValue;
}

/** The value of a prop after applying one operation to its current value. */
export function applyOp(current: unknown, op: OpName, value: unknown): unknown {
    switch (op) {
        case 'set':
            return isPatch(value) ? applyPatch(current, value) : value;
        case 'append':
            return concat(current, value);
        case 'merge':
            return {...((current as object) ?? {}), ...(value as object)};
        case 'patch':
            return applyPatch(current, asPatch(value));
        default:
            throw new Error(`dash-live: unknown update operation ${JSON.stringify(op)}`);
    }
}

/** Fold `next` into `last` when the pair has a single-operation equivalent, else undefined. */
function fold(last: Pending, next: Pending): Pending | undefined {
    if (next.op === 'set' && !isPatch(next.value)) {
        return next;
    }
    if (last.op === 'set' && !isPatch(last.value)) {
        return {op: 'set', value: applyOp(last.value, next.op, next.value)};
    }
    if (last.op === 'append' && next.op === 'append') {
        const bothText = typeof last.value === 'string' && typeof next.value === 'string';
        const bothLists = Array.isArray(last.value) && Array.isArray(next.value);
        if (bothText || bothLists) {
            return {op: 'append', value: concat(last.value, next.value)};
        }
    }
    if (last.op === 'merge' && next.op === 'merge') {
        return {op: 'merge', value: {...(last.value as object), ...(next.value as object)}};
    }
    const lastPatch = last.op === 'patch' || (last.op === 'set' && isPatch(last.value));
    const nextPatch = next.op === 'patch' || (next.op === 'set' && isPatch(next.value));
    if (lastPatch && nextPatch) {
        const operations = [...asPatch(last.value).operations, ...asPatch(next.value).operations];
        return {op: 'patch', value: {__dash_patch_update: '__dash_patch_update', operations}};
    }
    return undefined;
}

type ExtendValue = [{[key: string]: unknown[]}, number[] | undefined, unknown];

function normaliseExtend(value: unknown): ExtendValue | undefined {
    if (Array.isArray(value) && value.length >= 1 && value.length <= 3) {
        const [data, traces, max] = value;
        if (data && typeof data === 'object' && !Array.isArray(data)) {
            return [data as ExtendValue[0], traces as number[] | undefined, max];
        }
    }
    return undefined;
}

/**
 * Two increments of one incremental prop as one, when that is exactly equivalent: `extendData`
 * or `prependData` aimed at the same traces with the same `maxPoints` (per-trace arrays are
 * concatenated), or two `rowTransaction`s that only add rows at the end. Otherwise undefined.
 */
export function combineIncrements(prop: string, first: unknown, second: unknown): unknown {
    if (prop === 'rowTransaction') {
        const a = first as {[k: string]: unknown} | null;
        const b = second as {[k: string]: unknown} | null;
        const onlyAdds = (t: typeof a) =>
            !!t && Array.isArray(t.add) && Object.keys(t).every(k => k === 'add');
        return onlyAdds(a) && onlyAdds(b)
            ? {add: [...(a!.add as unknown[]), ...(b!.add as unknown[])]}
            : undefined;
    }
    if (prop === 'extendData' || prop === 'prependData') {
        const a = normaliseExtend(first);
        const b = normaliseExtend(second);
        if (!a || !b) {
            return undefined;
        }
        if (JSON.stringify([a[1], a[2]]) !== JSON.stringify([b[1], b[2]])) {
            return undefined;
        }
        const keys = Object.keys(a[0]);
        const sameKeys = keys.length === Object.keys(b[0]).length && keys.every(k => k in b[0]);
        if (!sameKeys) {
            return undefined;
        }
        const data: {[key: string]: unknown[]} = {};
        for (const key of keys) {
            const x = a[0][key];
            const y = b[0][key];
            if (!Array.isArray(x) || !Array.isArray(y) || x.length !== y.length) {
                return undefined;
            }
            // Each key holds one array per trace: join trace by trace. Prepending B after A
            // puts B's points in front of A's.
            const ys = y as unknown[][];
            data[key] = (x as unknown[][]).map((xs, i) =>
                prop === 'extendData' ? [...xs, ...ys[i]] : [...ys[i], ...xs]
            );
        }
        const combined: unknown[] = [data];
        if (a[1] !== undefined || a[2] !== undefined) {
            combined.push(a[1]);
        }
        if (a[2] !== undefined) {
            combined.push(a[2]);
        }
        return combined;
    }
    return undefined;
}

/** Add `next` to a prop's pending list, folding it into the last entry where possible. */
export function enqueue(prop: string, pending: Pending[], next: Pending): void {
    const last = pending[pending.length - 1];
    if (last === undefined) {
        pending.push(next);
        return;
    }
    if (INCREMENTAL_PROPS.has(prop)) {
        if (last.op === 'set' && next.op === 'set') {
            const combined = combineIncrements(prop, last.value, next.value);
            if (combined !== undefined) {
                pending[pending.length - 1] = {op: 'set', value: combined};
                return;
            }
        }
        pending.push(next);
        return;
    }
    const folded = fold(last, next);
    if (folded === undefined) {
        pending.push(next);
    } else {
        pending[pending.length - 1] = folded;
    }
}
