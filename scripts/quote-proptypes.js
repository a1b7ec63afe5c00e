// dash-generate-components writes wildcard props unquoted (`data-*:pt.any`), which is a syntax
// error when Dash loads proptypes.js in debug mode. Quote every key that is not an identifier.
const fs = require('fs');
const file = process.argv[2];
const source = fs.readFileSync(file, 'utf8');
const fixed = source.replace(/^(\s*|\{)([A-Za-z_$][\w$]*-\*)\s*:/gm, (_m, lead, key) => `${lead}'${key}':`);
fs.writeFileSync(file, fixed);
