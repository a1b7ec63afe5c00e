// The SSE framing of dash_live/sse.py, read back in pieces as the network delivers it (sse.ts).
import {describe, expect, test} from 'vitest';

import {readEvents, splitEvents, SseEvent} from '../../src/ts/client/sse';

const body = ': keep-alive\n\nevent: update\ndata: [1,2]\n\nevent: end\ndata: "done"\n\n';

describe('splitEvents', () => {
    test('complete events come out, keep-alive comments do not, the rest waits', () => {
        const {events, rest} = splitEvents(body + 'event: upd');
        expect(events).toEqual([
            {event: 'update', data: '[1,2]'},
            {event: 'end', data: '"done"'},
        ]);
        expect(rest).toBe('event: upd');
    });

    test('several data lines join with newlines; no event name is "message"', () => {
        expect(splitEvents('data: a\ndata: b\n\n').events).toEqual([{event: 'message', data: 'a\nb'}]);
    });
});

describe('readEvents', () => {
    test('every split of the body into chunks gives the same events', async () => {
        const bytes = new TextEncoder().encode(body + 'event: update\ndata: "é"\n\n');
        const whole: SseEvent[] = [];
        await readEvents(streamOf([bytes]), event => whole.push(event));
        expect(whole.map(e => e.event)).toEqual(['update', 'end', 'update']);
        expect(whole[2].data).toBe('"é"');
        for (let cut = 1; cut < bytes.length; cut += 1) {
            const seen: SseEvent[] = [];
            await readEvents(streamOf([bytes.slice(0, cut), bytes.slice(cut)]), e => seen.push(e));
            expect(seen).toEqual(whole);
        }
    });
});

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
    return new ReadableStream({
        start(controller) {
            chunks.forEach(chunk => controller.enqueue(chunk));
            controller.close();
        },
    });
}
