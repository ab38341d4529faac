// A jsii runtime for JSII_RUNTIME that profiles the kernel: it starts the
// jsii kernel (PROGRAM) the way jsii-runtime.js does, but with V8's CPU
// profiler on, and forwards only the signals that end the process. The
// kernel gets this node's flags, as jsii-runtime.js gives them.
// (--cpu-prof on JSII_NODE does not work: jsii-runtime.js forwards every
// signal to the kernel, SIGPROF included, which kills it.)
// When the app closes stdin without saying exit (a Go app that exits
// without jsii.Close), it says it, so that the kernel exits normally and
// writes its profile.
"use strict";
const { spawn } = require("child_process");
const kernel = spawn(process.execPath, [...process.execArgv, "--cpu-prof", "--cpu-prof-dir=" + process.env.PROFILE_DIR,
	"--cpu-prof-interval", "200", "--preserve-symlinks", process.env.PROGRAM], { stdio: ["ignore", "pipe", "pipe", "pipe"] });
kernel.on("exit", (code, signal) => {
	// The kernel has written its profile: say so to scripts/profile, which
	// the app does not wait for.
	require("fs").writeFileSync(process.env.PROFILE_DIR + "/done", "");
	process.exit(signal ? 1 : code);
});
const relay = (key) => (data) => console.error(JSON.stringify({ [key]: Buffer.from(data).toString("base64") }));
kernel.stdout.on("data", relay("stdout"));
kernel.stderr.on("data", relay("stderr"));
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(signal, () => kernel.kill(signal));
const channel = kernel.stdio[3];
process.stdin.pipe(channel, { end: false });
process.stdin.on("end", () => channel.write('{"exit":0}\n'));
channel.on("data", (data) => process.stdout.write(data));
channel.on("error", () => {}); // the kernel may be gone: its exit says how
process.stdout.on("error", () => {}); // the app may be gone
