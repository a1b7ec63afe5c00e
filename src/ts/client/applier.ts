/**
 * Applies prop updates to the page, at most about once per animation frame, in arrival order.
 *
 * When the page has been idle for a frame, the first updates are applied at once (in a
 * microtask, so everything that arrived in the same task still travels together): a lone update
 * costs no frame of latency. Updates that keep coming are applied once per animation frame, and
 * so are increments of incremental props, which a component such as dcc.Graph must see one frame
 * apart.
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
// Idle for at least this long: the next updates need not wait for a frame.
const FRAME_MS = 16;

export class FrameApplier {
    private targets = new Map<string, Target>();
    private scheduled = false;
    private lastFlush = -Infinity;
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
        this.lastFlush = performance.now();
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
        if (!this.paced && performance.now() - this.lastFlush >= FRAME_MS) {
            queueMicrotask(() => this.flush());
            return;
        }
        let done = false;
        const run = () => {
            if (!done) {
                done = true;
                this.flush();
            }
        };
        requestAnimationFrame(run);
        setTimeout(run, FALLBACK_MS);
    }
}

function warnUnknown(id: DashId): void {
    console.warn(`dash-live: no component with id ${stringifyId(id)} on this page; update dropped`);
}

/** The page's applier: every transport feeds the same one, so updates keep one order. */
export const pageApplier = new FrameApplier();
