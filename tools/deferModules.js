// @pulumi/pulumi loads TypeScript's compiler and npm's Arborist as it starts, for function
// serialization only (pulumi.runtime.serializeFunction, dynamic providers), and its Automation
// API: about 0.45 s of every process that loads the SDK, the offline plan's and the policy
// pack's alike, and neither uses them. Required by tools/register.js, this defers those modules
// until a property of theirs is first read; whoever uses them then gets the real module, loaded
// on the spot. Nothing else is touched.
const Module = require("module");

const DEFERRED = [
    { request: "./automation", from: /[\\/]@pulumi[\\/]pulumi[\\/]index\.js$/ },
    { request: "typescript", from: /[\\/]@pulumi[\\/]pulumi[\\/]typescript-shim\.js$/ },
    {
        request: "@npmcli/arborist",
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
    return new Proxy(
        {},
        {
            // Answered without loading, so TypeScript's `__importStar` keeps the proxy as it is
            // instead of copying (and so loading) every export up front.
            get: (_, key) => (key === "__esModule" ? true : Reflect.get(target(), key)),
            set: (_, key, value) => Reflect.set(target(), key, value),
            has: (_, key) => Reflect.has(target(), key),
            ownKeys: () => Reflect.ownKeys(target()),
            getOwnPropertyDescriptor: (_, key) => {
                const d = Reflect.getOwnPropertyDescriptor(target(), key);
                return d && { ...d, configurable: true };
            },
        },
    );
};
