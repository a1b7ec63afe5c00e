/**
 * The dash_live bundle. The renderer finds components on window.dash_live.<Component>;
 * startStream and cancelStream are called by the clientside callbacks @event_callback adds.
 */
import DashSocketIO from './components/DashSocketIO';
import {cancelStream, startStream} from './client/stream';

export {DashSocketIO, startStream, cancelStream};
