// Unit tests of the pure client modules (src/ts/client): `make test` runs them with `npx vitest run`.
import {defineConfig} from 'vitest/config';

export default defineConfig({
    test: {include: ['tests/ts/**/*.test.ts'], environment: 'node'},
});
