// Generated from dash_live/core/wire.py by scripts/wire_ts.py: do not edit by hand.
// tests/unit/test_wire.py fails when this file and dash_live/core/wire.py differ.

export const RESERVED_PREFIX = "dash-live:";
export const UPDATE_EVENT = "dash-live:update";
export const ROOMS_EVENT = "dash-live:rooms";
export const START_EVENT = "dash-live:stream";
export const CANCEL_EVENT = "dash-live:cancel";
export const FRAME_EVENT = "dash-live:frame";
export const ROOMS_AUTH_KEY = "dash-live:rooms";
export const TAB_AUTH_KEY = "dash-live:tab";
export const STREAM_ROUTE = "_dash-live/stream";
export const CANCEL_ROUTE = "_dash-live/cancel";
export const CONFIG_SCRIPT_ID = "_dash-live-config";

export type FrameKind = "update" | "error" | "end" | "keepalive";
export type EndReason = "done" | "cancelled" | "timeout" | "error";
export type OpName = "set" | "append" | "merge" | "patch";

export const INCREMENTAL_PROPS: ReadonlySet<string> = new Set(["extendData", "prependData", "rowTransaction"]);
