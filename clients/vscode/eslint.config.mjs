// Flat config: typescript-eslint's type-aware recommended rules plus the project's house rules
// (STYLE 19: no-console, eqeqeq, --max-warnings=0 in package.json).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "out/", "node_modules/", "e2e/", "bundled/", "*.vsix"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "no-console": "error",
      eqeqeq: ["error", "always"],
      curly: "error",
      "prefer-const": "error",
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "no-restricted-imports": [
        "error",
        { paths: [{ name: "vscode", message: "Only vscode-facing modules may import vscode." }] },
      ],
    },
  },
  {
    // the vscode-facing modules; everything else stays unit-testable under plain node
    files: [
      "src/extension.ts",
      "src/commands/*.ts",
      "src/logger.ts",
      "src/python.ts",
      "src/server.ts",
      "src/status.ts",
      "src/treeView.ts",
      "src/vscodeapi.ts",
    ],
    rules: { "no-restricted-imports": "off" },
  },
  {
    // node:test's describe/it return promises the runner itself awaits
    files: ["test/**/*.ts"],
    rules: {
      "@typescript-eslint/no-floating-promises": "off",
      "@typescript-eslint/no-non-null-assertion": "off",
    },
  },
  {
    files: ["**/*.mjs", "**/*.cjs"],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
    rules: { "no-console": "off" },
  },
);
