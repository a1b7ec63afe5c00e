/**
 * Applies prop updates to the page in arrival order, a steady stream about once per frame.
 *
 * Updates are applied in a task of their own, queued behind the messages that have already
 * arrived, so the pieces of a burst that are all in travel together. The first few flushes of
 * every 16 ms window go at once: a lone update costs no frame of latency, and neither does a
 * short burst whose pieces arrive a few milliseconds apart. Updates that keep coming are applied
 * once per animation frame, and so are increments of incremental props, which a component such
 * as dcc.Graph must see one frame apart. Even then the flush is not run inside the frame
 * callback but posted from it: the renderer's style and layout of a large page then run in a
 * task apart from the updates, and a flood never makes one task long enough to freeze the page.
 *
 * Updates are queued per component and prop and folded as they arrive (ops.ts), so memory stays
 * bounded by the size of the values, even in a background tab where animation frames pause. At
 * each frame every component with pending updates gets one `set_props` call carrying all its
 * changed props. An incremental prop (`extendData`, ...) whose increments could not be combined
 * applies one increment per frame, so the component sees each of them.
 */
import {currentProps, DashId, PropMap, setProps, stringifyId} from './dash';
import {applyOp, enqueue, INCREMENTAL_PROPS, OpName, Pending} from './ops';

/** One update as it travels on the wire: `[id, prop, op, value]`. */
export type WireUpdate = [DashId, string, OpName, unknown];

type Target = {id: DashId; props: Map<string, Pending[]>};

// A frame normally comes within 16 ms; the timer covers tabs where animation frames are paused.
const FALLBACK_MS = 100;
// The window, about one frame, in which at most BURST_FLUSHES flushes need not wait for a frame.
const FRAME_MS = 16;
const BURST_FLUSHES = 8;

export class FrameApplier {
    private targets = new Map<string, Target>();
    private scheduled = false;
    private windowStart = -Infinity;
    private windowFlushes = 0;
    private paced = false; // an increment is due: wait for a frame
    private onUnknown: (id: DashId) => void;

    constructor(onUnknown: (id: DashId) => void = warnUnknown) {
        this.onUnknown = onUnknown;
    }

    /** Queue updates; they are applied at the next animation frame. */
    push(updates: WireUpdate[]): void {
        for (const [id, prop, op, value] of updates) {
            const key = stringifyId(id);
            let target = this.targets.get(key);
            if (!target) {
                target = {id, props: new Map()};
                this.targets.set(key, target);
            }
            let pending = target.props.get(prop);
            if (!pending) {
                pending = [];
                target.props.set(prop, pending);
            }
            enqueue(prop, pending, {op, value});
            if (INCREMENTAL_PROPS.has(prop)) {
                this.paced = true;
            }
        }
        this.schedule();
    }

    /** Apply everything that is due now; called by the frame scheduler and by tests. */
    flush(): void {
        this.scheduled = false;
        this.paced = false;
        const now = performance.now();
        if (now - this.windowStart >= FRAME_MS) {
            this.windowStart = now;
            this.windowFlushes = 0;
        }
        this.windowFlushes += 1;
        const due = this.targets;
        this.targets = new Map();
        let carried = false;
        for (const [key, target] of due) {
            const current = currentProps(target.id);
            if (current === undefined) {
                this.onUnknown(target.id);
                continue;
            }
            const props: PropMap = {};
            for (const [prop, pending] of target.props) {
                // An incremental prop takes one increment per frame; a plain prop takes them all.
                const count = INCREMENTAL_PROPS.has(prop) ? 1 : pending.length;
                let value = current[prop];
                for (const {op, value: operand} of pending.slice(0, count)) {
                    value = applyOp(value, op, operand);
                }
                props[prop] = value;
                const rest = pending.slice(count);
                if (rest.length) {
                    this.carry(key, target.id, prop, rest);
                    carried = true;
                    this.paced = true;
                }
            }
            setProps(target.id, props);
        }
        if (carried) {
            this.schedule();
        }
    }

    private carry(key: string, id: DashId, prop: string, rest: Pending[]): void {
        let target = this.targets.get(key);
        if (!target) {
            target = {id, props: new Map()};
            this.targets.set(key, target);
        }
        // Anything that arrived after the flush began goes behind the carried increments.
        const later = target.props.get(prop) ?? [];
        target.props.set(prop, [...rest, ...later]);
    }

    private schedule(): void {
        if (this.scheduled) {
            return;
        }
        this.scheduled = true;
        const inBudget =
            performance.now() - this.windowStart >= FRAME_MS ||
            this.windowFlushes < BURST_FLUSHES;
        if (!this.paced && inBudget) {
            soon(() => this.flush());
            return;
        }
        let done = false;
        const run = () => {
            if (!done) {
                done = true;
                this.flush();
            }
        };
        requestAnimationFrame(() => soon(run));
        setTimeout(run, FALLBACK_MS);
    }
}

// A task of its own, queued behind the messages that have already arrived. A MessageChannel
// rather than setTimeout(0), which browsers may delay by 4 ms or more.
const channel = new MessageChannel();
const waiting: (() => void)[] = [];
channel.port1.onmessage = () => waiting.shift()?.();
function soon(run: () => void): void {
    waiting.push(run);
    channel.port2.postMessage(null);
}

function warnUnknown(id: DashId): void {
    console.warn(`dash-live: no component with id ${stringifyId(id)} on this page; update dropped`);
}

/** The page's applier: every transport feeds the same one, so updates keep one order. */
export const pageApplier = new FrameApplier();
