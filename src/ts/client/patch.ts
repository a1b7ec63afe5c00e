/**
 * Applies a Dash `Patch` (the JSON that `dash.Patch.to_plotly_json()` produces) to a value.
 *
 * The operations and their meaning are Dash's own (dash/_patch.py); applying them here instead of
 * leaving them to `set_props` lets consecutive patches and appends be folded into one update per
 * animation frame, and behaves the same on every Dash version dash-live supports.
 */

export type PatchOperation = {operation: string; location: Array<string | number>; params: any};
export type PatchValue = {__dash_patch_update: string; operations: PatchOperation[]};

export function isPatch(value: unknown): value is PatchValue {
    return (
        typeof value === 'object' &&
        value !== null &&
        (value as PatchValue).__dash_patch_update === '__dash_patch_update'
    );
}

function clone(value: any): any {
    if (Array.isArray(value)) {
        return value.slice();
    }
    if (value && typeof value === 'object') {
        return {...value};
    }
    return value;
}

function index(key: string | number, container: any): string | number {
    // Dash allows negative list indices, counted from the end as in Python.
    if (typeof key === 'number' && key < 0 && Array.isArray(container)) {
        return container.length + key;
    }
    return key;
}

/** Return `root` with the value at `location` replaced by `update(old)`, copying only the path. */
function updateAt(root: any, location: Array<string | number>, update: (old: any) => any): any {
    if (location.length === 0) {
        return update(root);
    }
    const container = clone(root ?? (typeof location[0] === 'number' ? [] : {}));
    const key = index(location[0], container);
    container[key] = updateAt(container[key], location.slice(1), update);
    return container;
}

function deleteAt(root: any, location: Array<string | number>): any {
    if (location.length === 1) {
        const container = clone(root);
        const key = index(location[0], container);
        if (Array.isArray(container)) {
            container.splice(key as number, 1);
        } else if (container) {
            delete container[key];
        }
        return container;
    }
    return updateAt(root, location.slice(0, 1), child => deleteAt(child, location.slice(1)));
}

function equal(a: unknown, b: unknown): boolean {
    return JSON.stringify(a) === JSON.stringify(b);
}

const HANDLERS: {[op: string]: (prev: any, params: any) => any} = {
    Assign: (_prev, p) => p.value,
    Merge: (prev, p) => ({...(prev ?? {}), ...p.value}),
    Extend: (prev, p) => [...(prev ?? []), ...p.value],
    Append: (prev, p) => [...(prev ?? []), p.value],
    Prepend: (prev, p) => [p.value, ...(prev ?? [])],
    Insert: (prev, p) => {
        const list = [...(prev ?? [])];
        const at = p.index < 0 ? list.length + p.index : p.index;
        list.splice(at, 0, p.value);
        return list;
    },
    Add: (prev, p) => prev + p.value,
    Sub: (prev, p) => prev - p.value,
    Mul: (prev, p) => prev * p.value,
    Div: (prev, p) => prev / p.value,
    Clear: prev => (Array.isArray(prev) ? [] : {}),
    Reverse: prev => [...(prev ?? [])].reverse(),
    Remove: (prev, p) => (prev ?? []).filter((item: unknown) => !equal(item, p.value)),
};

/** Apply every operation of `patch` to `value`, in order, without mutating `value`. */
export function applyPatch(value: unknown, patch: PatchValue): unknown {
    let result: any = value;
    for (const op of patch.operations) {
        if (op.operation === 'Delete') {
            result = deleteAt(result, op.location);
            continue;
        }
        const handler = HANDLERS[op.operation];
        if (!handler) {
            throw new Error(`dash-live: unknown Patch operation ${JSON.stringify(op.operation)}`);
        }
        result = updateAt(result, op.location, prev => handler(prev, op.params ?? {}));
    }
    return result;
}
