// Builds dash_live/dash_live.js: one classic script that sets window.dash_live.<Component>,
// with React, ReactDOM and PropTypes taken from the copies Dash serves (never bundled).
const path = require('path');

module.exports = (env, argv) => ({
    entry: './src/ts/index.ts',
    target: ['web', 'es2017'],
    devtool: 'source-map',
    output: {
        path: path.resolve(__dirname, 'dash_live'),
        filename: 'dash_live.js',
        library: {name: 'dash_live', type: 'window'},
    },
    externals: {react: 'React', 'react-dom': 'ReactDOM', 'prop-types': 'PropTypes'},
    resolve: {extensions: ['.ts', '.tsx', '.js']},
    module: {rules: [{test: /\.tsx?$/, use: 'ts-loader', exclude: /node_modules/}]},
    performance: {hints: false},
});
