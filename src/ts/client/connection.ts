/**
 * Opens the Socket.IO connection of a DashSocketIO and keeps it open.
 *
 * socket.io-client reconnects by itself after a lost transport, but not after the server
 * disconnects the socket or refuses it in its `connect` handler (`socket.active` is false then,
 * https://socket.io/docs/v4/client-api/#socketactive). Those cases are retried here with the same
 * backoff options, so a server restart or a refused connection never leaves a tab silently
 * offline. Every state change is reported through `onState`.
 */
import {io, ManagerOptions, Socket, SocketOptions} from 'socket.io-client';
import {requestsPrefix} from './dash';

/** Connection options; the names are socket.io-client's. */
export type ConnectionOptions = {
    path?: string;
    transports?: string[];
    reconnection?: boolean;
    reconnectionAttempts?: number;
    reconnectionDelay?: number;
    reconnectionDelayMax?: number;
    timeout?: number;
    auth?: {[key: string]: unknown};
    query?: {[key: string]: string};
    forceNew?: boolean;
    autoConnect?: boolean;
    withCredentials?: boolean;
};

/** When and why the connection was last lost, reported once it is back. */
export type Outage = {since: number; until: number; reason: string};

export type ConnectionState = {
    connected: boolean;
    socketId: string | null;
    error: string | null;
    reconnectAttempts: number;
    lastDisconnect: Outage;
};

/** Socket.IO path under Dash's `requests_pathname_prefix`, so apps behind a prefix just work. */
export function defaultPath(): string {
    return requestsPrefix() + 'socket.io';
}

export function openSocket(
    url: string | undefined,
    namespace: string,
    options: ConnectionOptions,
    onState: (state: Partial<ConnectionState>) => void,
    extraAuth: () => {[key: string]: unknown} = () => ({})
): {socket: Socket; close: () => void} {
    const settings: Partial<ManagerOptions & SocketOptions> = {
        ...options,
        path: options.path ?? defaultPath(),
        transports: options.transports ?? ['polling', 'websocket'],
        // A function is asked again at every (re)connection, so what it adds is current.
        auth: (callback: (auth: object) => void) => callback({...options.auth, ...extraAuth()}),
    };
    const base = url ?? '';
    const target = namespace && namespace !== '/' ? base + namespace : base || undefined;
    const socket = target ? io(target, settings) : io(settings);

    const retryEnabled = options.reconnection !== false;
    const maxAttempts = options.reconnectionAttempts ?? Infinity;
    const delay = options.reconnectionDelay ?? 1000;
    const delayMax = options.reconnectionDelayMax ?? 5000;
    let attempts = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let closed = false;

    // Retry what socket.io-client will not: exponential backoff with jitter, like its own.
    const retry = () => {
        if (closed || !retryEnabled || timer !== undefined || attempts >= maxAttempts) {
            return;
        }
        attempts += 1;
        const wait = Math.min(delayMax, delay * 2 ** (attempts - 1)) * (0.5 + Math.random() / 2);
        onState({reconnectAttempts: attempts});
        timer = setTimeout(() => {
            timer = undefined;
            if (!closed && !socket.connected) {
                socket.connect();
            }
        }, wait);
    };

    let lost: {since: number; reason: string} | null = null;
    socket.on('connect', () => {
        attempts = 0;
        const state: Partial<ConnectionState> = {
            connected: true,
            socketId: socket.id ?? null,
            error: null,
            reconnectAttempts: 0,
        };
        if (lost) {
            // Whatever was sent to this tab meanwhile is gone: tell the app, so it can re-sync.
            state.lastDisconnect = {since: lost.since, until: Date.now(), reason: lost.reason};
            lost = null;
        }
        onState(state);
    });
    socket.on('disconnect', reason => {
        lost = {since: Date.now(), reason};
        onState({connected: false, socketId: null});
        if (reason === 'io server disconnect') {
            retry();
        }
    });
    socket.on('connect_error', err => {
        onState({connected: false, error: err.message || String(err)});
        if (!socket.active) {
            retry();
        }
    });
    socket.io.on('reconnect_attempt', attempt => onState({reconnectAttempts: attempt}));
    socket.io.on('reconnect_failed', () =>
        onState({error: `gave up reconnecting after ${maxAttempts} attempts`})
    );

    const close = () => {
        closed = true;
        if (timer !== undefined) {
            clearTimeout(timer);
        }
        socket.offAny();
        socket.removeAllListeners();
        socket.io.removeAllListeners();
        socket.disconnect();
    };
    return {socket, close};
}
