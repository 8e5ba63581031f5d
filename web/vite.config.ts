import { defineConfig } from 'vitest/config';

// Preact JSX through esbuild (no Babel preset needed). Relative base so the embedded assets
// work under any mount path; hashed file names under assets/ are cached as immutable.
export default defineConfig({
  base: './',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    target: 'es2020',
    chunkSizeWarningLimit: 300,
  },
  // `npm run dev`: the API comes from a running tracery (TRACERY_URL, default the standard port).
  server: {
    port: 5173,
    proxy: { '/api': { target: process.env.TRACERY_URL ?? 'http://127.0.0.1:4318', changeOrigin: true } },
  },
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts'],
  },
});
