import React, {useEffect, useRef} from 'react';
import type {Socket} from 'socket.io-client';

import {pageApplier, WireUpdate} from '../client/applier';
import {ConnectionOptions, ConnectionState, openSocket} from '../client/connection';
import {offerSocket} from '../client/socketStreams';
import {DashId, setProps as setAnyProps, stringifyId} from '../client/dash';
import {EventDelivery} from '../client/events';

// Events whose names start with RESERVED_PREFIX are dash-live's own and never reach `data-*`.
// ROOMS_AUTH_KEY: the `auth` entry that carries signed room memberships to the server;
// TAB_AUTH_KEY: this tab's id in it, to which the room tokens it was given are bound.
import {RESERVED_PREFIX, ROOMS_AUTH_KEY, ROOMS_EVENT, TAB_AUTH_KEY, UPDATE_EVENT} from '../client/wire';

function newTabId(): string {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, b => b.toString(16).padStart(2, '0')).join('');
}

type Props = {
    /** The ID used to identify this component in Dash callbacks. */
    id?: string | {[key: string]: any};
    /** The Socket.IO server URL. Default: the page's own origin. */
    url?: string;
    /** The Socket.IO namespace to connect to. Default: "/". */
    namespace?: string;
    /**
     * Connection options, named as in socket.io-client: path (default: "socket.io" under the
     * app's requests_pathname_prefix), transports (default ["polling", "websocket"]; use
     * ["websocket"] to avoid sticky sessions), reconnection (default true),
     * reconnectionAttempts (default unlimited), reconnectionDelay (ms, default 1000),
     * reconnectionDelayMax (ms, default 5000), timeout, auth, query, forceNew, autoConnect,
     * withCredentials.
     */
    options?: {
        path?: string;
        transports?: string[];
        reconnection?: boolean;
        reconnectionAttempts?: number;
        reconnectionDelay?: number;
        reconnectionDelayMax?: number;
        timeout?: number;
        auth?: {[key: string]: any};
        query?: {[key: string]: string};
        forceNew?: boolean;
        autoConnect?: boolean;
        withCredentials?: boolean;
    };
    /**
     * Names of the Socket.IO events to listen to. Each received event X is written to the prop
     * `data-X`, and the callbacks listening on it run once per event, in order. "*" listens to
     * every event.
     */
    eventNames?: string[];
    /**
     * Set this prop to send an event to the server: {"event": name, "data": payload}. "data"
     * may be omitted. Every assignment sends once, even when the value repeats.
     */
    emit?: {event: string; data?: any} | null;
    /** Whether the socket is connected (read-only). */
    connected?: boolean;
    /** The socket ID while connected, else null (read-only). */
    socketId?: string | null;
    /** The last connection error, cleared on a successful connect (read-only). */
    error?: string | null;
    /** The number of the reconnection attempt under way; 0 while connected (read-only). */
    reconnectAttempts?: number;
    /**
     * Set when the connection comes back after being lost (read-only):
     * {"since": ms, "until": ms, "reason": str}, times in ms since the epoch. Events and
     * pushes addressed to this tab in that window were not delivered; listen on this prop
     * to re-sync what the page shows.
     */
    lastDisconnect?: {since: number; until: number; reason: string} | null;
    /**
     * The rooms this tab joined through dash_live.join_room (read-only). They are joined
     * again by themselves after every reconnection.
     */
    rooms?: string[];
    /** The latest payload of each event X listed in eventNames (read-only). */
    'data-*'?: any;
    /** Dash-assigned callback that should be called to report property changes. */
    setProps?: (props: Record<string, any>) => void;
};

/**
 * Connects the page to a Socket.IO server. Received events land in `data-<event>` props, props
 * pushed from Python with `push_props` are applied directly, and `emit` sends events back.
 */
const DashSocketIO = (props: Props) => {
    const {id, url, namespace = '/', options = {}, eventNames = [], emit} = props;

    // Read through refs inside socket handlers, so changing these never reopens the connection
    // and no handler is ever left behind holding an old value.
    const setPropsRef = useRef(props.setProps);
    setPropsRef.current = props.setProps;
    const idRef = useRef<DashId | undefined>(id);
    idRef.current = id;
    const namesRef = useRef(new Set(eventNames));
    namesRef.current = new Set(eventNames);
    const socketRef = useRef<Socket | null>(null);

    const optionsKey = JSON.stringify(options);
    useEffect(() => {
        const report = (state: Partial<ConnectionState>) => setPropsRef.current?.(state);
        const delivery = new EventDelivery((event, payload) => {
            const prop = 'data-' + event;
            const own = idRef.current;
            if (own === undefined) {
                setPropsRef.current?.({[prop]: payload});
                return '';
            }
            setAnyProps(own, {[prop]: payload});
            return stringifyId(own) + '.' + prop;
        });
        // Signed by the server when it put this tab in a room; shown back at every reconnection.
        const roomTokens = new Map<string, string>();
        const tab = newTabId();
        const {socket, close} = openSocket(url, namespace, options as ConnectionOptions, report, () => ({
            [ROOMS_AUTH_KEY]: Array.from(roomTokens.values()),
            [TAB_AUTH_KEY]: tab,
        }));
        socketRef.current = socket;
        // The page's own connection also carries event-callback streams (transport "socketio").
        const withdraw = url === undefined && namespace === '/' ? offerSocket(socket) : undefined;

        socket.on(UPDATE_EVENT, (updates: WireUpdate[]) => pageApplier.push(updates));
        socket.on(ROOMS_EVENT, (change: {join?: string; leave?: string; token?: string}) => {
            if (change.join && change.token) {
                roomTokens.set(change.join, change.token);
            } else if (change.join) {
                // A membership for this connection only (the server knows no holder for it).
                roomTokens.delete(change.join);
            } else if (change.leave) {
                roomTokens.delete(change.leave);
            }
            setPropsRef.current?.({rooms: Array.from(roomTokens.keys())});
        });
        socket.onAny((event: string, ...args: unknown[]) => {
            if (event.startsWith(RESERVED_PREFIX)) {
                return;
            }
            const names = namesRef.current;
            if (names.has(event) || names.has('*')) {
                // One argument arrives as itself; several as a list, in emit order.
                delivery.push(event, args.length === 1 ? args[0] : args);
            }
        });
        return () => {
            socketRef.current = null;
            withdraw?.();
            delivery.dispose();
            close();
        };
    }, [url, namespace, optionsKey]);

    useEffect(() => {
        const socket = socketRef.current;
        if (!emit || !socket) {
            return;
        }
        if (typeof emit.event !== 'string' || !emit.event) {
            setPropsRef.current?.({error: `emit needs an "event" name, got ${JSON.stringify(emit)}`});
            return;
        }
        // socket.io-client buffers emits made while disconnected and sends them on reconnect.
        if ('data' in emit) {
            socket.emit(emit.event, emit.data);
        } else {
            socket.emit(emit.event);
        }
    }, [emit]);

    return null;
};

export default DashSocketIO;
