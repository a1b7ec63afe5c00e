/**
 * The parts of dash-renderer that dash-live relies on, reached through this one module so that a
 * change in Dash shows up in one place.
 *
 * - `dash_clientside.set_props` (Dash >= 2.16) sets props and triggers the callbacks that listen
 *   on them. Unlike a component's own `setProps`, it does not drop a value equal to the current
 *   one, which is what lets the same payload arriving twice fire its callbacks twice.
 * - `dash_component_api.getLayout` / `stringifyId` (Dash >= 3.0) read current props and give the
 *   canonical string form of an id.
 * - `window.dash_stores` (internal) is the renderer's Redux store list. It is used for one thing
 *   only: learning when the callbacks triggered by an event have read it (see events.ts).
 */

export type DashId = string | {[key: string]: unknown};
export type PropMap = {[prop: string]: unknown};

type Store = {getState: () => any; subscribe: (listener: () => void) => () => void};

declare global {
    interface Window {
        dash_clientside?: {set_props?: (id: DashId, props: PropMap) => void};
        dash_component_api?: {
            getLayout?: (id: DashId) => {props?: PropMap} | undefined;
            stringifyId?: (id: DashId) => string;
        };
        dash_stores?: Store[];
    }
}

/** The JSON of a `<script type="application/json" id=...>` config tag, or {} when absent. */
export function pageConfig(id: string): {[key: string]: any} {
    const tag = document.getElementById(id);
    try {
        return JSON.parse(tag?.textContent || '{}') ?? {};
    } catch {
        return {};
    }
}

/** Dash's `requests_pathname_prefix`, ending in "/": where the app's routes are reached. */
export function requestsPrefix(): string {
    const prefix: string = pageConfig('_dash-config').requests_pathname_prefix || '/';
    return prefix.endsWith('/') ? prefix : prefix + '/';
}

/** Set props of any component on the page and notify the callbacks that listen on them. */
export function setProps(id: DashId, props: PropMap): void {
    const setter = window.dash_clientside?.set_props;
    if (!setter) {
        throw new Error('dash-live needs dash_clientside.set_props (Dash >= 3.0)');
    }
    setter(id, props);
}

/** The current props of a component, or undefined when no component has this id. */
export function currentProps(id: DashId): PropMap | undefined {
    const layout = window.dash_component_api?.getLayout?.(id);
    return layout ? layout.props ?? {} : undefined;
}

/** Dash's canonical string form of an id: the id itself, or sorted-key JSON for a dict id. */
export function stringifyId(id: DashId): string {
    const api = window.dash_component_api?.stringifyId;
    if (api) {
        return api(id);
    }
    if (typeof id === 'string') {
        return id;
    }
    const keys = Object.keys(id).sort();
    return '{' + keys.map(k => JSON.stringify(k) + ':' + JSON.stringify(id[k])).join(',') + '}';
}

function stores(): Store[] {
    return (window.dash_stores ?? []).filter(s => s && typeof s.subscribe === 'function');
}

/** Whether the renderer's store can be watched (false on a Dash that hides it). */
export function canWatchCallbacks(): boolean {
    return stores().length > 0;
}

/**
 * True while any callback that `propId` (e.g. `"sock.data-chat"`) triggered is still pending:
 * requested, prioritized, blocked, executing, watched or executed but not yet applied. The stage
 * lists are those of dash-renderer's `getPendingCallbacks`: every list except stored/completed.
 */
export function isTriggerPending(propId: string): boolean {
    for (const store of stores()) {
        const callbacks = store.getState()?.callbacks ?? {};
        for (const stage of Object.keys(callbacks)) {
            const list = callbacks[stage];
            if (stage === 'stored' || stage === 'completed' || !Array.isArray(list)) {
                continue;
            }
            for (const cb of list) {
                if (cb && cb.changedPropIds && propId in cb.changedPropIds) {
                    return true;
                }
            }
        }
    }
    return false;
}

/** Call `listener` after every change of the renderer's state; returns the unsubscribe. */
export function watchState(listener: () => void): () => void {
    const unsubscribers = stores().map(s => s.subscribe(listener));
    return () => unsubscribers.forEach(unsubscribe => unsubscribe());
}

/**
 * Show an error the way Dash shows a failed callback: in the dev-tools overlay in debug mode,
 * and in the console (the renderer's error reducer logs every error it receives).
 */
export function reportError(message: string, detail?: string | null): void {
    const list = stores();
    if (!list.length) {
        console.error(message);
        return;
    }
    const html = detail
        ? '<pre>' + detail.replace(/&/g, '&amp;').replace(/</g, '&lt;') + '</pre>'
        : undefined;
    for (const store of list) {
        (store as unknown as {dispatch: (action: unknown) => void}).dispatch({
            type: 'ON_ERROR',
            payload: {type: 'backEnd', error: {message, html}},
        });
    }
}
