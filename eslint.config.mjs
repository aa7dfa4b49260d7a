// The house rules (issue 16): typescript-eslint's recommended set, zero
// warnings (`npm run lint`, part of `npm test`); formatting is prettier's.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["bin/**", "node_modules/**", "policy/node_modules/**", "out/**", ".lab/**"] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    { files: ["**/*.js", "**/*.mjs"], languageOptions: { globals: globals.node } },
    {
        rules: {
            // The Pulumi SDK and the policy SDK hand out untyped values (mocks, provider outputs).
            "@typescript-eslint/no-explicit-any": "off",
            // Node's require() of JSON (package versions) and of optional modules.
            "@typescript-eslint/no-require-imports": "off",
            "@typescript-eslint/no-unused-vars": [
                "error",
                { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
            ],
        },
    },
);
