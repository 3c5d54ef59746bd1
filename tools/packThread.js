// The worker thread tools/analyzer.ts starts: the TypeScript loader, then the module that runs
// the policy pack's process and talks to it (tools/packProcess.ts).
require("./register");
require("./packProcess.ts");
