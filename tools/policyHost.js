// Preloaded (`node -r`) into the policy pack's process by tools/analyzer.ts. The pack's gRPC
// server keeps its process alive for ever; the process that started it holds the other end of
// its stdin, so when that process is gone (closed, crashed or killed with SIGKILL) stdin ends
// and the pack exits with it: no analyzer outlives the plan or the test run that started it.
const stop = () => process.exit(0);
process.stdin.on("end", stop);
process.stdin.on("close", stop);
process.stdin.on("error", stop);
process.stdin.resume();
