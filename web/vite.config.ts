// One script and one stylesheet with fixed names in ../assets/explorer,
// which the server embeds (src/http/explorer.rs) and serves under /explorer/.
import { defineConfig } from "vite";

export default defineConfig({
  base: "/explorer/",
  build: {
    outDir: "../assets/explorer",
    // trusted-documents.json lives there too, written by its own script.
    emptyOutDir: false,
    target: "es2022",
    modulePreload: false,
    assetsInlineLimit: 0,
    rollupOptions: {
      output: {
        entryFileNames: "explorer.js",
        chunkFileNames: "explorer-[name].js",
        assetFileNames: "explorer[extname]",
        codeSplitting: false,
      },
    },
  },
});
