import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './packages/server-kit/src/db/schema.ts',
  out: './packages/server-kit/migrations',
});
