/**
 * The Socket.IO transport of event-callback streams (dash_live/transports/socketio.py): every stream
 * of the tab travels over one connection, so twenty streams do not queue behind the browser's
 * six HTTP/1.1 connections per origin, and normal callbacks are never starved.
 *
 * The connection is the page's own DashSocketIO (default url and namespace) when there is one,
 * else one opened here on first use. Each frame is acknowledged once handed to the page
 * applier; the server keeps a bounded number of frames in flight, so a slow page slows the
 * producer down instead of piling frames up.
 */
import {Socket} from 'socket.io-client';
import {openSocket} from './connection';
import {CANCEL_EVENT, FRAME_EVENT, START_EVENT} from './wire';

export type FrameHandler = {
    frame: (kind: string, data: unknown) => void;
    /** The connection carrying the stream went away: the server has cancelled the stream. */
    broken: (reason: string) => void;
};

type Refusal = {ok?: boolean; error?: string; status?: number};


const offered: Socket[] = [];
let ownSocket: Socket | null = null;
const handlers = new Map<string, {socket: Socket; handler: FrameHandler}>();
const wired = new WeakSet<Socket>();

function breakStreamsOf(socket: Socket, reason: string): void {
    for (const [id, entry] of Array.from(handlers.entries())) {
        if (entry.socket === socket) {
            handlers.delete(id);
            entry.handler.broken(reason);
        }
    }
}

function wire(socket: Socket): Socket {
    if (!wired.has(socket)) {
        wired.add(socket);
        socket.on(FRAME_EVENT, (id: string, kind: string, data: unknown, ack?: () => void) => {
            handlers.get(id)?.handler.frame(kind, data);
            ack?.();
        });
        socket.on('disconnect', reason => breakStreamsOf(socket, `the connection closed (${reason})`));
    }
    return socket;
}

/**
 * A DashSocketIO offers its connection (default url and namespace) for streams; the returned
 * function withdraws it, breaking the streams it carries, before the connection closes.
 */
export function offerSocket(socket: Socket): () => void {
    offered.push(socket);
    return () => {
        const index = offered.indexOf(socket);
        if (index >= 0) {
            offered.splice(index, 1);
        }
        breakStreamsOf(socket, 'its DashSocketIO was removed from the page');
    };
}

function streamSocket(): Socket {
    if (offered.length) {
        return wire(offered[0]);
    }
    if (!ownSocket) {
        ownSocket = openSocket(undefined, '/', {}, () => undefined).socket;
    }
    return wire(ownSocket);
}

/** Start a stream; `refused` is called if the server turns the request down. */
export function startSocketStream(
    body: {stream: string},
    handler: FrameHandler,
    refused: (message: string) => void
): () => void {
    const socket = streamSocket();
    handlers.set(body.stream, {socket, handler});
    // socket.io-client buffers this while connecting and sends it once connected.
    socket.emit(START_EVENT, body, (answer: Refusal) => {
        if (!answer?.ok) {
            handlers.delete(body.stream);
            refused(`(${answer?.status ?? '?'}): ${answer?.error ?? 'no answer'}`);
        }
    });
    return () => {
        handlers.delete(body.stream);
        socket.emit(CANCEL_EVENT, {stream: body.stream});
    };
}

/** Forget a finished stream. */
export function endSocketStream(streamId: string): void {
    handlers.delete(streamId);
}
