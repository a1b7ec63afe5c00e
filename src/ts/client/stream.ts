/**
 * Event-callback streams in the browser: started by the clientside callback that
 * `@event_callback` registers, read as Server-Sent Events, applied by the page applier.
 *
 * One stream runs per callback and set of input ids: triggering it again restarts it (as a
 * Dash callback supersedes its previous run). `running` props are set at the start and
 * restored at the end whatever the outcome; `reset_props` are applied here when the stream is
 * cancelled or its connection breaks (the server sends them itself on error and timeout).
 */
import {pageApplier, WireUpdate} from './applier';
import {DashId, pageConfig, reportError, requestsPrefix} from './dash';
import {endSocketStream, startSocketStream} from './socketStreams';
import {readEvents} from './sse';
import {CANCEL_ROUTE, CONFIG_SCRIPT_ID, STREAM_ROUTE} from './wire';

type RunningSpec = [DashId, string, unknown, unknown];

export type StreamConfig = {
    callback: string;
    running: RunningSpec[];
    reset: WireUpdate[];
    /** null: the app's default (DASH_LIVE_TRANSPORT, written into the page). */
    transport: 'sse' | 'socketio' | null;
};

type CallbackContext = {
    inputs_list: unknown[];
    states_list?: unknown[];
    triggered?: {prop_id: string; value: unknown}[];
};

type Stream = {id: string; cancel: () => void; finish: (reason: string) => void};

type StreamBody = {
    callback: string;
    stream: string;
    inputs: unknown[];
    state: unknown[];
    changedPropIds: string[];
};

/** The app's default transport, written into the page by the server. */
function pageTransport(): string {
    return pageConfig(CONFIG_SCRIPT_ID).transport || 'sse';
}

const streams = new Map<string, Stream>();

function newStreamId(): string {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, b => b.toString(16).padStart(2, '0')).join('');
}

function streamKey(config: StreamConfig, context: CallbackContext): string {
    const ids = context.inputs_list.map(entry =>
        Array.isArray(entry) ? entry.map(e => (e as {id: unknown}).id) : (entry as {id: unknown}).id
    );
    return config.callback + ' ' + JSON.stringify(ids);
}

function sendCancel(streamId: string): void {
    // keepalive lets the request outlive a page that is being closed.
    fetch(requestsPrefix() + CANCEL_ROUTE, {
        method: 'POST',
        headers: {'Content-Type': 'application/json'},
        body: JSON.stringify({stream: streamId}),
        keepalive: true,
    }).catch(() => undefined);
}

function stop(key: string, reason: string): void {
    const stream = streams.get(key);
    if (stream) {
        streams.delete(key);
        stream.cancel();
        stream.finish(reason);
    }
}

/** Start (or restart) the stream of an event callback; called by its clientside callback. */
export function startStream(config: StreamConfig, context: CallbackContext): void {
    const key = streamKey(config, context);
    stop(key, 'cancelled');
    const id = newStreamId();
    let finished = false;
    const finish = (reason: string) => {
        if (finished) {
            return;
        }
        finished = true;
        if (streams.get(key)?.id === id) {
            streams.delete(key);
        }
        const after: WireUpdate[] = [];
        if (reason === 'cancelled' || reason === 'broken') {
            after.push(...config.reset);
        }
        for (const [cid, prop, , value] of config.running) {
            after.push([cid, prop, 'set', value]);
        }
        if (after.length) {
            pageApplier.push(after);
        }
    };
    if (config.running.length) {
        pageApplier.push(config.running.map(([cid, prop, during]) => [cid, prop, 'set', during]));
    }
    const body: StreamBody = {
        callback: config.callback,
        stream: id,
        inputs: context.inputs_list,
        state: context.states_list ?? [],
        changedPropIds: (context.triggered ?? [])
            .map(t => t.prop_id)
            .filter(propId => propId && propId !== '.'),
    };
    const transport = config.transport ?? pageTransport();
    const cancel =
        transport === 'socketio' ? runOverSocket(body, config, finish) : runOverHttp(body, config, finish);
    streams.set(key, {id, cancel, finish});
}

/**
 * Apply one frame of either transport: its kind, and its data decoded from the one JSON encoding
 * every transport shares (dash_live/core/frames.py).
 */
function applyFrame(kind: string, data: unknown, finish: (reason: string) => void): void {
    if (kind === 'update') {
        pageApplier.push(data as WireUpdate[]);
    } else if (kind === 'error') {
        const {message, traceback} = data as {message: string; traceback: string | null};
        reportError(message, traceback);
    } else if (kind === 'end') {
        finish((data as {reason: string}).reason);
    }
}

function runOverSocket(
    body: StreamBody,
    config: StreamConfig,
    finish: (reason: string) => void
): () => void {
    const end = (reason: string) => {
        endSocketStream(body.stream);
        finish(reason);
    };
    return startSocketStream(
        body,
        {
            frame: (kind, data) => applyFrame(kind, data, end),
            broken: reason => {
                reportError(`dash-live: the stream of ${config.callback} broke: ${reason}`);
                finish('broken');
            },
        },
        message => {
            reportError(`dash-live: the stream was refused ${message}`);
            finish('broken');
        }
    );
}

function runOverHttp(
    body: StreamBody,
    config: StreamConfig,
    finish: (reason: string) => void
): () => void {
    const controller = new AbortController();
    run(JSON.stringify(body), controller, finish).catch(error => {
        if (!controller.signal.aborted) {
            reportError(`dash-live: the stream of ${config.callback} broke: ${error}`);
            finish('broken');
        }
    });
    return () => {
        sendCancel(body.stream);
        controller.abort();
    };
}

async function run(
    body: string,
    controller: AbortController,
    finish: (reason: string) => void
): Promise<void> {
    const response = await fetch(requestsPrefix() + STREAM_ROUTE, {
        method: 'POST',
        headers: {'Content-Type': 'application/json', Accept: 'text/event-stream'},
        body,
        signal: controller.signal,
        credentials: 'same-origin',
    });
    if (!response.ok || !response.body) {
        const text = await response.text();
        reportError(`dash-live: the stream was refused (${response.status}): ${text}`);
        finish('broken');
        return;
    }
    let ended = false;
    await readEvents(response.body, ({event, data}) => {
        // An SSE event is a frame: its name is the kind, its data the frame's JSON.
        ended = ended || event === 'end';
        applyFrame(event, JSON.parse(data), finish);
    });
    if (!ended && !controller.signal.aborted) {
        reportError('dash-live: the stream ended before the server finished it');
        finish('broken');
    }
}

/** Stop the running streams of a callback when a cancel input takes its target value. */
export function cancelStream(
    callback: string,
    targets: (null | [unknown])[],
    context: {triggered?: {prop_id: string; value: unknown}[]; inputs_list: unknown[]}
): void {
    const triggered = new Set((context.triggered ?? []).map(t => t.prop_id));
    const hit = context.inputs_list.some((entry, index) => {
        const {id, property, value} = entry as {id: DashId; property: string; value: unknown};
        const propId =
            (typeof id === 'string' ? id : JSON.stringify(id, Object.keys(id).sort())) +
            '.' +
            property;
        if (!triggered.has(propId)) {
            return false;
        }
        const target = targets[index];
        return target === null || JSON.stringify(target[0]) === JSON.stringify(value);
    });
    if (!hit) {
        return;
    }
    for (const key of Array.from(streams.keys())) {
        if (key.startsWith(callback + ' ')) {
            stop(key, 'cancelled');
        }
    }
}
