/** The dash_live bundle: sets window.dash_live.<Component> for the Dash renderer. */
import DashSocketIO from './components/DashSocketIO';

export {DashSocketIO};
