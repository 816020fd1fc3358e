// ESLint flat config: typescript-eslint's recommended rules everywhere, plus @pulumi/eslint-plugin's type-aware
// checks (an Output interpolated in a plain template literal) on the files tsconfig.json compiles.
import js from "@eslint/js";
import pulumi from "@pulumi/eslint-plugin";
import prettier from "eslint-config-prettier";
import { defineConfig, globalIgnores } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

const typedFiles = [
  "index.ts",
  "components/**/*.ts",
  "scripts/**/*.ts",
  "emulator/**/*.ts",
  "bench/**/*.ts",
  "policy/**/*.ts",
];

export default defineConfig(
  globalIgnores(["dist/", "**/node_modules/", "emulator/recorded/", "test/fixtures/", "**/providerSchema.json"]),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    // `const { dropped, ...rest } = x` is how a key is left out of a copy.
    rules: { "@typescript-eslint/no-unused-vars": ["error", { ignoreRestSiblings: true }] },
  },
  {
    files: typedFiles,
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { "@pulumi": pulumi },
    rules: {
      "@pulumi/no-output-in-template-literal": "error",
      "@pulumi/no-output-instance-in-template-literal": "error",
    },
  },
  {
    // Tests read untyped JSON (stack exports, previews, emulator bodies) and poke at it.
    files: ["test/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
  {
    // The serialized providers' entry and the bin load modules on demand (in Pulumi's provider host, per command).
    files: ["providers/**/*.ts", "bin/**/*.js"],
    languageOptions: { sourceType: "commonjs" },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  // Last: turns off the stylistic rules Prettier owns.
  prettier,
);
