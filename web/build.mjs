// Placeholder until the page exists: builds nothing.
import { existsSync } from 'node:fs'
if (existsSync(new URL('./src', import.meta.url))) throw new Error('web/src exists but web/build.mjs does not build it')
