// @pulumi/pulumi loads TypeScript's compiler, npm's Arborist and normalize-package-data as it
// starts, for function serialization only (pulumi.runtime.serializeFunction, dynamic
// providers), and its Automation API: about 0.45 s of every process that loads the SDK, the
// offline plan's and the policy pack's alike, and neither uses them. Required by
// tools/register.js, this defers those modules until first used; whoever uses them then gets
// the real module, loaded on the spot. Nothing else is touched.
const Module = require("module");

const DEFERRED = [
    { request: "./automation", from: /[\\/]@pulumi[\\/]pulumi[\\/]index\.js$/ },
    { request: "typescript", from: /[\\/]@pulumi[\\/]pulumi[\\/]typescript-shim\.js$/ },
    {
        request: "@npmcli/arborist",
        from: /[\\/]@pulumi[\\/]pulumi[\\/]runtime[\\/]closure[\\/]codePaths\.js$/,
    },
    {
        request: "normalize-package-data",
        from: /[\\/]@pulumi[\\/]pulumi[\\/]runtime[\\/]closure[\\/]codePaths\.js$/,
    },
];

const load = Module._load;
Module._load = function (request, parent, isMain) {
    const deferred =
        parent?.filename &&
        DEFERRED.some((d) => d.request === request && d.from.test(parent.filename));
    if (!deferred) return load.apply(this, arguments);
    let real;
    const target = () => (real ??= load.call(Module, request, parent, isMain));
    // A function target, so that a module that is a function (normalize-package-data) can be
    // called through the proxy.
    const shell = function () {};
    return new Proxy(shell, {
        // `__esModule` is answered without loading, so TypeScript's `__importStar` and
        // `__importDefault` keep the proxy as it is instead of copying (and so loading) every
        // export up front; `default` then means what those helpers would have made of the
        // real module.
        get: (_, key) => {
            if (key === "__esModule") return true;
            const m = target();
            if (key === "default" && !m.__esModule) return m;
            return Reflect.get(m, key);
        },
        apply: (_, self, args) => Reflect.apply(target(), self, args),
        set: (_, key, value) => Reflect.set(target(), key, value),
        has: (_, key) => Reflect.has(target(), key),
        ownKeys: () => [...new Set([...Reflect.ownKeys(target()), "prototype"])],
        getOwnPropertyDescriptor: (_, key) => {
            if (key === "prototype") return Reflect.getOwnPropertyDescriptor(shell, key);
            const d = Reflect.getOwnPropertyDescriptor(target(), key);
            return d && { ...d, configurable: true };
        },
    });
};
