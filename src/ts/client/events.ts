/**
 * Delivers received Socket.IO events to the `data-<event>` props of a DashSocketIO, so that the
 * Dash callbacks listening on a prop run exactly once per event, in order.
 *
 * Why not just set the prop: Dash merges callback requests that are still queued, and drops the
 * result of a server callback when a newer request of it starts, so a burst of events reaching
 * the prop within one tick triggers the callbacks once, with the last value. Setting a value
 * equal to the current one triggers nothing at all through a component's own `setProps`.
 *
 * So each event name has a queue: an event is written with `dash_clientside.set_props` (which
 * does not compare values), and the next one waits until no callback triggered by this prop is
 * pending in the renderer. An event with no listening callback passes straight through. Events
 * of different names do not wait for each other.
 */
import {canWatchCallbacks, isTriggerPending, watchState} from './dash';

export type Deliver = (event: string, payload: unknown) => string;

export class EventDelivery {
    private queues = new Map<string, unknown[]>();
    private waiting = new Map<string, () => void>();
    private deliver: Deliver;

    /** `deliver` writes one event and returns the prop id (`"<id>.data-<event>"`) it set. */
    constructor(deliver: Deliver) {
        this.deliver = deliver;
    }

    push(event: string, payload: unknown): void {
        let queue = this.queues.get(event);
        if (!queue) {
            queue = [];
            this.queues.set(event, queue);
        }
        queue.push(payload);
        this.pump(event);
    }

    /** Number of events received but not yet delivered, over all names. */
    get backlog(): number {
        let total = 0;
        this.queues.forEach(queue => (total += queue.length));
        return total;
    }

    /** Stop delivering and forget queued events (the component is unmounting). */
    dispose(): void {
        this.waiting.forEach(unsubscribe => unsubscribe());
        this.waiting.clear();
        this.queues.clear();
    }

    private pump(event: string): void {
        const queue = this.queues.get(event);
        if (!queue || this.waiting.has(event)) {
            return;
        }
        const watchable = canWatchCallbacks();
        while (queue.length) {
            const propId = this.deliver(event, queue.shift());
            if (watchable && isTriggerPending(propId)) {
                this.waitFor(event, propId);
                return;
            }
        }
    }

    private waitFor(event: string, propId: string): void {
        let settled = false;
        const unsubscribe = watchState(() => {
            if (settled || isTriggerPending(propId)) {
                return;
            }
            settled = true;
            unsubscribe();
            // Leave the store's notification before dispatching the next event.
            Promise.resolve().then(() => {
                if (this.waiting.get(event) === unsubscribe) {
                    this.waiting.delete(event);
                    this.pump(event);
                }
            });
        });
        this.waiting.set(event, unsubscribe);
    }
}
