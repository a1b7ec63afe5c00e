/**
 * Reads a Server-Sent Events response body incrementally (the framing of dash_live/core/sse.py).
 * fetch is used instead of EventSource because a stream starts with a POST carrying the
 * callback's inputs, which EventSource cannot send.
 */

export type SseEvent = {event: string; data: string};

/** Split complete events off `buffer`; returns them and the incomplete remainder. */
export function splitEvents(buffer: string): {events: SseEvent[]; rest: string} {
    const events: SseEvent[] = [];
    let start = 0;
    for (;;) {
        const end = buffer.indexOf('\n\n', start);
        if (end < 0) {
            break;
        }
        let event = 'message';
        const data: string[] = [];
        for (const line of buffer.slice(start, end).split('\n')) {
            if (line.startsWith('event:')) {
                event = line.slice(6).trim();
            } else if (line.startsWith('data:')) {
                data.push(line.slice(5).replace(/^ /, ''));
            }
            // Lines starting with ":" are keep-alive comments.
        }
        if (data.length) {
            events.push({event, data: data.join('\n')});
        }
        start = end + 2;
    }
    return {events, rest: buffer.slice(start)};
}

/** Call `onEvent` for every event of the body as it arrives; resolves when the body ends. */
export async function readEvents(
    body: ReadableStream<Uint8Array>,
    onEvent: (event: SseEvent) => void
): Promise<void> {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
        const {value, done} = await reader.read();
        if (done) {
            return;
        }
        buffer += decoder.decode(value, {stream: true});
        const {events, rest} = splitEvents(buffer);
        buffer = rest;
        events.forEach(onEvent);
    }
}
