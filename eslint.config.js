// Flat config. Typed linting so @pulumi/eslint-plugin can see Output<T> types
// (an Output in a template literal prints a warning text, not its value).
const js = require("@eslint/js");
const tseslint = require("typescript-eslint");
const pulumi = require("@pulumi/eslint-plugin");

module.exports = tseslint.config(
    {
        ignores: [
            "node_modules/**",
            "policies/node_modules/**",
            "out/**",
            "bin/**",
            "eslint.config.js",
        ],
    },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    { rules: { "@typescript-eslint/no-require-imports": "off" } },
    {
        files: ["**/*.js"],
        languageOptions: {
            sourceType: "commonjs",
            globals: {
                require: "readonly",
                process: "readonly",
                module: "writable",
                __dirname: "readonly",
            },
        },
    },
    {
        files: ["**/*.ts"],
        languageOptions: {
            parserOptions: { projectService: true, tsconfigRootDir: __dirname },
        },
        plugins: { "@pulumi": pulumi },
        rules: {
            "@pulumi/no-output-in-template-literal": "error",
            "@pulumi/no-output-instance-in-template-literal": "error",
            "@typescript-eslint/no-floating-promises": "error",
            "@typescript-eslint/no-explicit-any": "off",
            "@typescript-eslint/no-unused-vars": [
                "error",
                { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
            ],
        },
    },
);
